/**
 * The sandbox's state as in-process tests reach it, behind the API's back: copies in, copies out, no
 * validation, no log, no rate limit. The base of `SandboxServer`, so that a test sets up odd accounts or
 * checks what a run wrote with plain method calls; the admin API offers the same to other processes.
 */
import type { CostCenter, InvoiceProfile, Named, SandboxUser, Snapshot } from "./records";
import type { Store } from "./store";

export class SandboxState {
  constructor(protected readonly store: Store) {}

  listUsers(): SandboxUser[] {
    return this.store.listUsers();
  }
  getUser(id: string): SandboxUser | undefined {
    return this.store.getUser(id);
  }
  findUserByEmail(email: string): SandboxUser | undefined {
    return this.store.findUserByEmail(email);
  }
  /** Stores the fields as given, without the API's validation or defaults: for odd accounts. */
  insertUser(u: Partial<SandboxUser> & { email: string }): SandboxUser {
    return this.store.insertUser(u);
  }
  /** A key set to `undefined` removes the field. */
  updateUser(id: string, patch: Partial<SandboxUser>): SandboxUser {
    return this.store.updateUser(id, patch);
  }
  deleteUser(id: string): void {
    this.store.deleteUser(id);
  }
  listPolicies(): Named[] {
    return this.store.listPolicies();
  }
  listGroups(): Named[] {
    return this.store.listGroups();
  }
  groupMembers(groupId: string): string[] {
    return this.store.groupMembers(groupId);
  }
  /** Makes exactly these users the group's members, as a change made in TravelPerk directly would. */
  setGroupMembers(groupId: string, userIds: string[]): void {
    this.store.setMembers(groupId, userIds);
  }
  /** Live mode: the cost centres (their members are the users whose cost_center is the name). */
  listCostCenters(): CostCenter[] {
    return this.store.listCostCenters();
  }
  /** Live mode: the invoice profiles. */
  listProfiles(): InvoiceProfile[] {
    return this.store.listProfiles();
  }
  addPolicy(name: string): Named {
    return this.store.addPolicy(name);
  }
  addGroup(name: string): Named {
    return this.store.addGroup(name);
  }
  state(): Snapshot {
    return this.store.snapshot();
  }
}
