/**
 * A roster-only Pulumi program: the whole company from roster.yaml. Teams that write no TypeScript use
 * `npx pulumi-travelperk preview|up --roster roster.yaml` instead, which declares exactly this.
 */
import * as tp from "pulumi-travelperk";

const roster = new tp.Roster("roster", { file: "roster.yaml" });

export const userIds = roster.userIds;
