/**
 * `travelperk:User`: one TravelPerk user, identified by e-mail, offboarded by deactivation.
 *
 * Order of this file: public args → validated inputs and outputs → provider (check, diff, create,
 * read, update, delete) → the resource class.
 */
import * as pulumi from "@pulumi/pulumi";
import { NotFoundError } from "../client/errors";
import {
  USER_FIELDS,
  USER_MODEL,
  deactivateUser,
  deleteUser,
  getUser,
  readUser,
  updateUser,
  userInputShape,
  type Gender,
  type Role,
  type User as ApiUser,
  type UserField,
  type UserFields,
} from "../client/users";
import { createOrAdopt, wasTakenOver } from "../client/users/create";
import userProvider from "../entry/user";
import { booleanInput, enumInput } from "../input-schemas";
import { DYNAMIC_MODULE, RESOURCE_KINDS, resourceLabel } from "../type-tokens";
import type { ConnectionArgs, ResourceProviderImpl } from "./connection";
import {
  changedFields,
  declaredFields,
  outputsFor,
  outputsKept,
  pick,
  settingsOf,
  transportFailures,
} from "./user-fields";
import { checkInputs } from "./validation";
import { z } from "zod";

/** What happens to the TravelPerk user when the resource is deleted. */
export const ON_DELETE = ["deactivate", "delete", "retain"] as const;
/** What deleting a {@link User} does: `deactivate` (the default), `delete` or `retain`. */
export type OnDelete = (typeof ON_DELETE)[number];

/** Arguments of a {@link User}. */
export interface UserArgs extends ConnectionArgs {
  /** E-mail address, the user's TravelPerk login; unique in the organisation, compared case-insensitively. Changing it is an in-place update. */
  email: pulumi.Input<string>;
  /** Given name. */
  firstName: pulumi.Input<string>;
  /** Family name. */
  lastName: pulumi.Input<string>;
  /** `traveler`, `travel_manager` or `company_admin`. Default: not managed (TravelPerk makes new users travelers). */
  role?: pulumi.Input<Role>;
  /** Phone number in E.164 form, e.g. `+34600123456`. Default: not managed. */
  phoneNumber?: pulumi.Input<string>;
  /** ISO 639-1 language code, e.g. `en`. Default: not managed. */
  language?: pulumi.Input<string>;
  /** `male`, `female` or `other`. Default: not managed. */
  gender?: pulumi.Input<Gender>;
  /** Date of birth, `YYYY-MM-DD`. Default: not managed. */
  dateOfBirth?: pulumi.Input<string>;
  /** ISO 3166-1 alpha-2 country code, e.g. `ES`. Default: not managed. */
  nationality?: pulumi.Input<string>;
  /** Ids of the invoicing profiles the user may book on. Default: not managed. */
  invoicingProfiles?: pulumi.Input<pulumi.Input<string>[]>;
  /** Cost centre, free text. Default: not managed. */
  costCenter?: pulumi.Input<string>;
  /** TravelPerk id of the user's manager (e.g. another `User`'s `id`). Default: not managed. */
  managerId?: pulumi.Input<string>;
  /** Whether the account is active. Default `true`: a deactivation made outside Pulumi shows as drift. */
  isActive?: pulumi.Input<boolean>;
  /** On resource deletion: `deactivate` (default, reversible), `delete` (permanent) or `retain` (leave untouched). */
  onDelete?: pulumi.Input<OnDelete>;
  /** Manage an existing active user with this e-mail instead of failing. Default `false`. Inactive users are always reactivated. */
  adoptExisting?: pulumi.Input<boolean>;
}

/** The fields a User declares directly (`isActive` aside: it defaults to true), in the model's order. */
const SHAPED_FIELDS = USER_FIELDS.filter((field): field is Exclude<UserField, "isActive"> => field !== "isActive");

/** The user fields' validation (USER_MODEL's, optional unless required), shared with the roster file's schema. */
export const userFieldShape = userInputShape(SHAPED_FIELDS);

const userSchema = z.object({
  ...userFieldShape,
  isActive: USER_MODEL.isActive.input.default(true),
  onDelete: enumInput(ON_DELETE).default("deactivate"),
  adoptExisting: booleanInput().default(false),
});

/** Inputs as `check` returns them: the user's declarations plus the defaults the provider relies on. */
export type UserInputs = z.infer<typeof userSchema>;

/** Outputs: each declared field as TravelPerk holds it now, plus what the API adds. */
export type UserOutputs = Partial<{ [K in UserField]: UserFields[K] | null }> & {
  email: string;
  travelPolicyId: string | null;
  onDelete: OnDelete;
  adoptExisting: boolean;
};

const RESOURCE_TYPE = resourceLabel(RESOURCE_KINDS.user);

// ---- provider ---------------------------------------------------------------------------------

export { DuplicateUserError, UserExistsError } from "../client/users/create";

/**
 * The error Pulumi records as "created but failed to initialise": the user exists (so it enters
 * state with its id) but is not yet in the declared state; the next `up` finishes the work.
 */
function initFailure(error: unknown, user: ApiUser, inputs: UserInputs, outputs: UserOutputs): Error {
  const message = error instanceof Error ? error.message : String(error);
  // The engine's own `__provider` input goes back into state with the outputs.
  const provider: unknown = Reflect.get(inputs, "__provider");
  return Object.assign(new Error(message), {
    id: user.id,
    properties: { ...outputs, __provider: provider },
    reasons: [message],
  });
}

/** Brings an existing user to the declared state: PATCH of the differences, then a read-back. */
async function reconcile(user: ApiUser, inputs: UserInputs): Promise<ApiUser> {
  const changes = changedFields(user, inputs);
  if (changes.length === 0) return user;
  await updateUser(user.id, pick(inputs, changes), inputs.email);
  // A PATCH answer may hold only the changed fields: read the whole user back.
  return getUser(user.id, inputs.email);
}

/** The User provider; served by `pulumi-travelperk/runtime` inside the provider process. */
export const userProviderImpl: ResourceProviderImpl<UserInputs, UserOutputs> = {
  check(_olds, news) {
    const result = checkInputs(userSchema, RESOURCE_TYPE, news);
    const unsupported = result.inputs ? transportFailures(result.inputs) : [];
    return Promise.resolve(unsupported.length > 0 ? { failures: unsupported } : result);
  },

  diff(_id, olds, news) {
    const changed = changedFields(olds, news);
    const undeclared = declaredFields(olds).filter((field) => news[field] === undefined);
    const onDeleteChanged = settingsOf(olds).onDelete !== settingsOf(news).onDelete;
    // No field forces a replacement: a new e-mail is a PATCH of the same account.
    return Promise.resolve({ changes: changed.length > 0 || undeclared.length > 0 || onDeleteChanged, replaces: [] });
  },

  async create(inputs) {
    const declared = declaredFields(inputs);
    const fields = { ...pick(inputs, declared), email: inputs.email };
    // A new account is active by default: is_active is sent only to create it deactivated.
    if (fields.isActive === true) delete fields.isActive;
    let user = await createOrAdopt({
      fields,
      adoptExisting: inputs.adoptExisting,
      matches: (existing) => changedFields(existing, inputs).length === 0,
    });
    try {
      user = await reconcile(user, inputs);
    } catch (error) {
      throw initFailure(error, user, inputs, outputsFor(declared, user, settingsOf(inputs)));
    }
    return { id: user.id, outs: outputsFor(declared, user, settingsOf(inputs)) };
  },

  async read(id, olds) {
    let user: ApiUser;
    try {
      user = await readUser(id, olds?.email);
    } catch (error) {
      if (error instanceof NotFoundError) return {}; // deleted outside Pulumi: gone from state
      throw error;
    }
    const declared = declaredFields(olds ?? {});
    const outputs = outputsFor(declared, user, settingsOf(olds));
    // Inputs follow the refreshed values so the preview's diff shows what the next `up` restores
    // (Pulumi types them as outputs; they are the declared fields and the settings).
    const inputs = { ...pick(outputs, declared), ...settingsOf(olds) } as UserOutputs;
    return { id: user.id, props: outputs, inputs };
  },

  async update(id, olds, inputs) {
    const declared = declaredFields(inputs);
    const changes = changedFields(olds, inputs);
    // Only state changed (onDelete, or a field no longer declared): no request.
    if (changes.length === 0) return { outs: outputsKept(declared, olds, settingsOf(inputs)) };
    await updateUser(id, pick(inputs, changes), inputs.email);
    // A PATCH answer may hold only the changed fields: read the whole user back.
    const user = await getUser(id, inputs.email);
    return { outs: outputsFor(declared, user, settingsOf(inputs)) };
  },

  async delete(id, props) {
    const { onDelete } = settingsOf(props);
    const email = props.email as string | undefined;
    if (onDelete === "retain") return;
    // A roster person whose key changed: the new resource took the account over earlier in this run
    // (creates come before deletes), so the old resource lets go of it instead of offboarding it.
    if (email !== undefined && wasTakenOver(email)) {
      console.warn(`warning: TravelPerk user ${email} is now managed by another resource; it is not offboarded.`);
      return;
    }
    try {
      if (onDelete === "delete") await deleteUser(id, email);
      else await deactivateUser(id, email);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error; // already gone: done
    }
  },
};

// ---- resource ---------------------------------------------------------------------------------

/**
 * Every output, registered up front so undeclared fields are still readable properties. A model field
 * without its documented argument (UserArgs) and output (User) fails to compile here.
 */
const OUTPUT_KEYS = Object.fromEntries(
  [
    ...(USER_FIELDS satisfies readonly (keyof UserArgs & keyof User)[]),
    "travelPolicyId",
    "onDelete",
    "adoptExisting",
  ].map((key) => [key, undefined]),
);

/**
 * A TravelPerk user. Created by e-mail (an inactive account with that e-mail is reactivated, an
 * active one adopted only with `adoptExisting`), updated in place, deactivated on delete.
 */
export class User extends pulumi.dynamic.Resource {
  /** The user's e-mail as TravelPerk holds it. */
  declare readonly email: pulumi.Output<string>;
  /** Given name. */
  declare readonly firstName: pulumi.Output<string>;
  /** Family name. */
  declare readonly lastName: pulumi.Output<string>;
  /** The user's role as TravelPerk holds it; undefined when `role` is not managed. */
  declare readonly role: pulumi.Output<Role | undefined>;
  /** Phone number (E.164); undefined when not managed. */
  declare readonly phoneNumber: pulumi.Output<string | undefined>;
  /** ISO 639-1 language code; undefined when not managed. */
  declare readonly language: pulumi.Output<string | undefined>;
  /** Gender; undefined when not managed. */
  declare readonly gender: pulumi.Output<Gender | undefined>;
  /** Date of birth, `YYYY-MM-DD`; undefined when not managed. */
  declare readonly dateOfBirth: pulumi.Output<string | undefined>;
  /** ISO 3166-1 alpha-2 country code; undefined when not managed. */
  declare readonly nationality: pulumi.Output<string | undefined>;
  /** Ids of the user's invoicing profiles; undefined when not managed. */
  declare readonly invoicingProfiles: pulumi.Output<string[] | undefined>;
  /** Cost centre; undefined when not managed. */
  declare readonly costCenter: pulumi.Output<string | undefined>;
  /** TravelPerk id of the user's manager; undefined when not managed. */
  declare readonly managerId: pulumi.Output<string | undefined>;
  /** Whether the account is active in TravelPerk. */
  declare readonly isActive: pulumi.Output<boolean>;
  /** The id of the travel policy TravelPerk has assigned (see `PolicyAssignment`), or null. */
  declare readonly travelPolicyId: pulumi.Output<string | null>;
  /** What deleting the resource does: `deactivate`, `delete` or `retain` (see {@link UserArgs.onDelete}). */
  declare readonly onDelete: pulumi.Output<OnDelete>;
  /** Whether an existing active account with this e-mail may be adopted (see {@link UserArgs.adoptExisting}). */
  declare readonly adoptExisting: pulumi.Output<boolean>;

  /**
   * Declares a user.
   *
   * @param name The resource's unique name in the Pulumi program (not the e-mail: keep it when the e-mail changes).
   * @param args The user's fields and lifecycle settings; see {@link UserArgs} for each default.
   * @param opts Pulumi resource options (`parent`, `dependsOn`, `protect`, …). Default: none.
   */
  constructor(name: string, args: UserArgs, opts?: pulumi.CustomResourceOptions) {
    super(userProvider, name, { ...OUTPUT_KEYS, ...args }, opts, DYNAMIC_MODULE, RESOURCE_KINDS.user);
  }
}
