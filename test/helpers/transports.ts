/**
 * The two user transports, as the suites that run once per transport see them: which sandbox serves
 * each (`rest` on the contract sandbox, `scim` on the live-surface sandbox), the settings that choose
 * it, and the request lines each sends for the same operation.
 */
import type { LoggedRequest, SandboxOptions, SandboxServer } from "../../sandbox/server";

export interface Transport {
  name: "rest" | "scim";
  /** The sandbox that answers as this transport's TravelPerk does. */
  sandbox: SandboxOptions;
  /** Stack config for this transport against `s` (besides the credential). */
  config: (s: SandboxServer) => Record<string, string>;
  /** The policy id a program passes for a policy: its id where a policy listing is served, else its name. */
  policyRef: (s: SandboxServer, name: string) => string;
  /** "METHOD /path" as the sandbox logged it, REST paths without the contract's `/api/v2`. */
  line: (r: LoggedRequest) => string;
  /** The request lines of each operation. */
  lines: {
    listUsers: string;
    createUser: string;
    findUser: string;
    getUser: (id: string) => string;
    patchUser: (id: string) => string;
    deleteUser: (id: string) => string;
    readMembers: (groupId: string) => string;
    addMember: (groupId: string) => string;
    removeMember: (groupId: string, userId: string) => string;
    setPolicy: (userId: string) => string;
  };
}

const line = (r: LoggedRequest) => `${r.method} ${r.path.replace(/^\/api\/v2/, "")}`;

export const REST: Transport = {
  name: "rest",
  sandbox: {},
  config: (s) => ({ "travelperk:apiUrl": s.apiUrl }),
  policyRef: (s, name) => s.listPolicies().find((p) => p.name === name)?.id ?? name,
  line,
  lines: {
    listUsers: "GET /users",
    createUser: "POST /users",
    findUser: "GET /users",
    getUser: (id) => `GET /users/${id}`,
    patchUser: (id) => `PATCH /users/${id}`,
    deleteUser: (id) => `DELETE /users/${id}`,
    readMembers: (g) => `GET /groups/${g}/members`,
    addMember: (g) => `POST /groups/${g}/members`,
    removeMember: (g, u) => `DELETE /groups/${g}/members/${u}`,
    setPolicy: (id) => `PATCH /users/${id}`,
  },
};

export const SCIM: Transport = {
  name: "scim",
  sandbox: { api: "live" },
  config: (s) => ({ "travelperk:apiUrl": s.apiUrl, "travelperk:userApi": "scim", "travelperk:scimUrl": s.scimUrl }),
  // The live API serves no policy listing: a policy is known by its name.
  policyRef: (_s, name) => name,
  line,
  lines: {
    listUsers: "GET /scim/Users",
    createUser: "POST /scim/Users",
    findUser: "GET /scim/Users",
    getUser: (id) => `GET /scim/Users/${id}`,
    patchUser: (id) => `PATCH /scim/Users/${id}`,
    deleteUser: (id) => `DELETE /scim/Users/${id}`,
    readMembers: (g) => `GET /scim/Groups/${g}`,
    addMember: (g) => `PATCH /scim/Groups/${g}`,
    removeMember: (g) => `PATCH /scim/Groups/${g}`,
    setPolicy: (id) => `PATCH /scim/Users/${id}`,
  },
};

export const TRANSPORTS = [REST, SCIM];

/** The environment variables that carry `config` (the in-process suites read settings from there). */
export function envOf(config: Record<string, string>): Record<string, string> {
  const names: Record<string, string> = {
    "travelperk:apiUrl": "TRAVELPERK_API_URL",
    "travelperk:userApi": "TRAVELPERK_USER_API",
    "travelperk:scimUrl": "TRAVELPERK_SCIM_URL",
  };
  return Object.fromEntries(
    Object.entries(config).map(([key, value]) => {
      const name = names[key];
      if (name === undefined) throw new Error(`no environment variable carries ${key}`);
      return [name, value];
    }),
  );
}
