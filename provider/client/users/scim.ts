/**
 * The users of SCIM 2.0 (RFC 7643/7644) with the enterprise extension and TravelPerk's own, as the
 * live API runs them; the field table they are mapped by is scim-fields.ts. Writes are PATCHes of
 * only what changed, with `If-Match` when the server gave an ETag; a server that refuses PATCH gets a
 * PUT of the whole user as last read. Answers to writes are never taken as the user: it is read again.
 */
import { z } from "zod";
import { InvalidRequestError, NotFoundError, TravelPerkError, type RequestContext } from "../errors";
import { currentRun } from "../run";
import { listAllScim } from "../listing";
import { request, send } from "../request";
import { policyIdForName, policyNameForId } from "../policies";
import { SCIM_PATCH_OP, opaqueId } from "../wire";
import { travelPolicyOperation, updateOperation, type UserApi } from "./api";
import type { User } from "./model";
import { getRestUser, setRestTravelPolicy } from "./rest";
import {
  CORE_USER,
  TRAVELPERK_USER,
  at,
  attributes,
  buildsOnCurrent,
  readFields,
  setAt,
  str,
  type Resource,
} from "./scim-fields";

export { SCIM_CARRIES } from "./scim-fields";

/** The attribute that carries the travel policy (by name). */
const TRAVEL_POLICY = `${TRAVELPERK_USER}:travelPolicy`;

const scimResource = z.looseObject({ id: opaqueId });

/** What this run remembers of SCIM: each user as last read (with its ETag) and what the server refuses. */
interface ScimState {
  read: Map<string, { resource: Resource; etag?: string }>;
  patchRefused: boolean;
  travelPolicyRefused: boolean;
}

const state = () =>
  currentRun().transportState<ScimState>("scim", () => ({
    read: new Map(),
    patchRefused: false,
    travelPolicyRefused: false,
  }));

function remember(resource: Resource, etag?: string): void {
  const meta = resource.meta as Resource | undefined;
  state().read.set(String(resource.id), { resource, etag: etag ?? str(meta?.version) ?? undefined });
}

/** SCIM resource → model; the travel policy's name becomes its id where a policy listing is served. */
async function toUser(resource: Resource): Promise<User> {
  const fields = readFields(resource);
  const policyName = str(at(resource, TRAVEL_POLICY));
  const travelPolicyId = policyName === null ? null : await policyIdForName(policyName);
  // A SCIM user's userName is its e-mail ("" when a server answers without one).
  return { ...fields, email: fields.email ?? "", id: String(resource.id), travelPolicyId };
}

const userPath = (id: string) => `/Users/${encodeURIComponent(id)}`;

async function getResource(id: string, subject?: string): Promise<Resource> {
  const answer = await send({
    method: "GET",
    path: userPath(id),
    surface: "scim",
    schema: scimResource,
    context: { operation: "read user", subject: subject ?? id },
  });
  remember(answer.data, answer.etag);
  return answer.data;
}

/** A SCIM error's status and scimType, from an error raised by the request core. */
const statusOf = (error: unknown) => (error instanceof TravelPerkError ? error.status : undefined);

/**
 * Writes `paths` to a user: a PATCH of exactly those attributes (or, where the server refuses PATCH,
 * a PUT of the whole user as last read), with `If-Match` from the freshest read. On 412 the user is
 * read again and the write tried once more.
 */
async function write(
  id: string,
  build: (current: Resource | undefined) => [string, unknown][],
  context: RequestContext,
  needsCurrent: boolean,
): Promise<void> {
  const s = state();
  for (let preconditionRetry = true; ;) {
    // The user is read first only where the write is built from it (other e-mails and phone
    // numbers are kept; a PUT sends the whole user); an ETag is sent whenever a read gave one.
    if (!s.read.has(id) && (needsCurrent || s.patchRefused)) await getResource(id, context.subject);
    const current = s.read.get(id);
    const paths = build(current?.resource);
    const headers = current?.etag ? { "If-Match": current.etag } : undefined;
    try {
      if (s.patchRefused) {
        const whole = structuredClone(current?.resource ?? {});
        for (const [path, value] of paths) setAt(whole, path, value);
        for (const readOnly of ["meta", "groups"]) Reflect.deleteProperty(whole, readOnly);
        await request({
          method: "PUT",
          path: userPath(id),
          surface: "scim",
          body: whole,
          headers,
          schema: z.unknown(),
          context,
        });
      } else {
        const Operations = paths.map(([path, value]) =>
          value === null ? { op: "remove", path } : { op: "replace", path, value },
        );
        await request({
          method: "PATCH",
          path: userPath(id),
          surface: "scim",
          body: { schemas: [SCIM_PATCH_OP], Operations },
          headers,
          schema: z.unknown(),
          context,
        });
      }
      s.read.delete(id); // the answer (200 or 204) is not trusted as the user: the next read fetches it
      return;
    } catch (error) {
      const status = statusOf(error);
      if ((status === 405 || status === 501) && !s.patchRefused) {
        s.patchRefused = true; // this server takes PUT only: every later write of the run goes there
        continue;
      }
      if (status === 412 && preconditionRetry) {
        preconditionRetry = false;
        await getResource(id, context.subject);
        continue;
      }
      throw error;
    }
  }
}

/** A SCIM filter's string literal (RFC 7644 §3.4.2.2): JSON string syntax. */
const literal = (value: string) => JSON.stringify(value);

/** The SCIM transport. */
export const scimUserApi: UserApi = {
  kind: "scim",

  async list() {
    const resources = await listAllScim("/Users", scimResource, { operation: "list users" });
    for (const resource of resources) remember(resource);
    return Promise.all(resources.map(toUser));
  },

  async get(id, subject) {
    return toUser(await getResource(id, subject));
  },

  async findByEmail(email) {
    const context = { operation: "find user", subject: email };
    let found: Resource[];
    try {
      const page = await request({
        method: "GET",
        path: "/Users",
        surface: "scim",
        params: { filter: `userName eq ${literal(email)}` },
        schema: z.object({ Resources: z.array(scimResource).optional() }),
        context,
      });
      found = page.Resources ?? [];
    } catch (error) {
      if (!(error instanceof InvalidRequestError)) throw error;
      // A server without filtering: page through every user instead.
      found = await listAllScim("/Users", scimResource, context);
    }
    const resource = found.find((r) => String(r.userName).toLowerCase() === email.toLowerCase());
    if (!resource) return undefined;
    remember(resource);
    return toUser(resource);
  },

  async create(fields, repeat) {
    // `active` is always sent: a SCIM server need not default it to true.
    const body: Resource = { schemas: [CORE_USER], active: true };
    for (const [path, value] of attributes(fields, undefined)) if (value !== null) setAt(body, path, value);
    const answer = await send({
      method: "POST",
      path: "/Users",
      surface: "scim",
      body,
      schema: z.union([scimResource, z.unknown()]),
      context: { operation: "create user", subject: fields.email },
      repeat,
    });
    const parsed = scimResource.safeParse(answer.data);
    if (parsed.success) {
      remember(parsed.data, answer.etag);
      return toUser(parsed.data);
    }
    // An answer without the resource: the user is read back by its userName.
    const created = await this.findByEmail(fields.email);
    if (!created)
      throw new NotFoundError({ operation: "read created user", subject: fields.email }, 404, {
        detail: "the create was answered without the user, and no user has its userName",
      });
    return created;
  },

  async update(id, changes, subject) {
    const context = { operation: updateOperation(changes), subject: subject ?? id };
    await write(id, (current) => attributes(changes, current), context, buildsOnCurrent(changes));
  },

  async delete(id, subject) {
    state().read.delete(id);
    await request({
      method: "DELETE",
      path: userPath(id),
      surface: "scim",
      context: { operation: "delete user", subject: subject ?? id },
    });
  },

  async setTravelPolicy(userId, policyId, subject) {
    const context = { operation: travelPolicyOperation(policyId), subject: subject ?? userId };
    const s = state();
    if (!s.travelPolicyRefused) {
      try {
        const name = policyId === null ? null : await policyNameForId(policyId);
        await write(userId, () => [[TRAVEL_POLICY, name]], context, false);
        return;
      } catch (error) {
        // The guide: travel fields are not writable through SCIM. The REST PATCH of the contract is.
        if (!(error instanceof InvalidRequestError)) throw error;
        s.travelPolicyRefused = true;
      }
    }
    await setRestTravelPolicy(userId, policyId, subject);
  },

  async travelPolicyOf(user, subject) {
    const resource = state().read.get(user.id)?.resource;
    if (!resource || resource[TRAVELPERK_USER] !== undefined || user.travelPolicyId !== null)
      return user.travelPolicyId;
    // A SCIM server without TravelPerk's extension: the policy lives on the REST user.
    try {
      return (await getRestUser(user.id, subject)).travelPolicyId;
    } catch (error) {
      if (error instanceof TravelPerkError && error.status !== 401 && error.status !== 403) return null;
      throw error;
    }
  },
};
