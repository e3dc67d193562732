/** Reading and validating roster files: every problem names the file, the line and the field. */
import { parseRoster, RosterError } from "../provider/roster/load";
import { resolveRoster, type Directory } from "../provider/roster/resolve";
import { rosterJsonSchema } from "../provider/roster/schema";

const directory: Directory = {
  policies: [
    { id: "pol_1", name: "Standard" },
    { id: "pol_2", name: "Executive" },
  ],
  groups: [
    { id: "grp_1", name: "Engineering" },
    { id: "grp_2", name: "Sales" },
  ],
};

function problems(text: string): string[] {
  try {
    resolveRoster(parseRoster(text, "roster.yaml"), directory);
  } catch (error) {
    expect(error).toBeInstanceOf(RosterError);
    return (error as RosterError).problems;
  }
  throw new Error("the roster was accepted");
}

const valid = `defaults:
  travelPolicy: Standard
people:
  - email: ada@example.com
    firstName: Ada
    lastName: Lovelace
    role: travel_manager
    groups: [Engineering]
  - email: alan@example.com
    firstName: Alan
    lastName: Turing
    travelPolicy: pol_2
    groups: [engineering, Sales]
    manager: ada@example.com
`;

test("a valid roster resolves names to ids, applies defaults and keys people by e-mail", () => {
  const people = resolveRoster(parseRoster(valid, "roster.yaml"), directory);
  expect(people.map((p) => p.key)).toEqual(["ada@example.com", "alan@example.com"]);
  expect(people[0]).toMatchObject({
    policy: { id: "pol_1", label: "Standard" },
    groups: [{ id: "grp_1", label: "Engineering" }],
    onDelete: "deactivate",
    adoptExisting: false,
  });
  expect(people[1]).toMatchObject({ policy: { id: "pol_2", label: "Executive" }, manager: { key: "ada@example.com" } });
  expect(people.at(1)?.groups.map((g) => g.id)).toEqual(["grp_1", "grp_2"]);
  expect(people.at(0)?.fields).toEqual({
    email: "ada@example.com",
    firstName: "Ada",
    lastName: "Lovelace",
    role: "travel_manager",
  });
});

test("a bad e-mail names file, line and field", () => {
  expect(problems(valid.replace("alan@example.com\n", "alan-at-example.com\n"))).toEqual([
    expect.stringMatching(/^roster\.yaml:9 people\[1\]\.email: must be a valid e-mail address/),
  ]);
});

test("a missing required field points at the person", () => {
  expect(problems(valid.replace("    lastName: Turing\n", ""))).toEqual([
    expect.stringMatching(/^roster\.yaml:9 people\[1\]\.lastName: is required/),
  ]);
});

test("an unknown field is refused", () => {
  expect(problems(valid.replace("    role: travel_manager\n", "    rol: travel_manager\n"))).toEqual([
    expect.stringMatching(/^roster\.yaml:7 people\[0\]\.rol: is not a roster field/),
  ]);
});

test("duplicate e-mails and keys are refused case-insensitively, naming both places", () => {
  const dup = `${valid}  - email: ADA@example.com\n    firstName: A\n    lastName: L\n  - email: x@example.com\n    key: Alan@example.com\n    firstName: X\n    lastName: Y\n`;
  const found = problems(dup);
  expect(found).toContainEqual(
    expect.stringMatching(
      /^roster\.yaml:15 people\[2\]\.email: duplicate e-mail ADA@example\.com \(also people\[0\], roster\.yaml:4\)/,
    ),
  );
  expect(found).toContainEqual(
    expect.stringMatching(/^roster\.yaml:19 people\[3\]\.key: duplicate key "alan@example\.com"/),
  );
});

test("unknown policy and group names list the valid ones", () => {
  const found = problems(
    valid
      .replace("groups: [engineering, Sales]", "groups: [Enginering]")
      .replace("travelPolicy: pol_2", "travelPolicy: Gold"),
  );
  expect(found).toContainEqual(
    'roster.yaml:12 people[1].travelPolicy: unknown travel policy "Gold"; the travel policys are: "Standard", "Executive"',
  );
  expect(found).toContainEqual(
    'roster.yaml:13 people[1].groups[0]: unknown group "Enginering"; the groups are: "Engineering", "Sales"',
  );
});

test("a manager who is not in the roster, and a cycle of managers, are refused", () => {
  expect(problems(valid.replace("manager: ada@example.com", "manager: boss@example.com"))).toEqual([
    expect.stringMatching(/^roster\.yaml:14 people\[1\]\.manager: manager boss@example\.com is not in the roster/),
  ]);
  const cycle = valid.replace(
    "    role: travel_manager\n",
    "    role: travel_manager\n    manager: alan@example.com\n",
  );
  expect(problems(cycle)).toEqual([
    expect.stringMatching(/manager: managers form a cycle: (ada|alan)@example\.com → .* → (ada|alan)@example\.com/),
  ]);
});

test("a manager given as an id is kept as an external manager", () => {
  const people = resolveRoster(
    parseRoster(valid.replace("manager: ada@example.com", "manager: usr_42"), "roster.yaml"),
    directory,
  );
  expect(people.at(1)?.manager).toEqual({ id: "usr_42" });
});

test("YAML syntax errors carry the line", () => {
  expect(problems("people:\n  - email: a@example.com\n    firstName: [unclosed\n")).toEqual([
    expect.stringMatching(/^roster\.yaml:\d+: /),
  ]);
});

test("reordering the file yields the same people", () => {
  const [first = "", second = ""] = valid.split("  - email: alan@example.com");
  const reordered = `${first.replace(/people:\n[\s\S]*/, "people:\n")}  - email: alan@example.com${second}${first.split("people:\n")[1]}`;
  const a = resolveRoster(parseRoster(valid, "roster.yaml"), directory);
  const b = resolveRoster(parseRoster(reordered, "roster.yaml"), directory);
  expect([...b].sort((x, y) => x.key.localeCompare(y.key))).toEqual(a);
});

test("the JSON Schema is generated from the same schema", () => {
  const schema = rosterJsonSchema() as {
    properties: { people: { items: { properties: Record<string, unknown>; required: string[] } } };
  };
  const person = schema.properties.people.items;
  expect(Object.keys(person.properties)).toEqual(
    expect.arrayContaining(["email", "firstName", "travelPolicy", "groups", "manager", "key", "onDelete"]),
  );
  expect(person.required).toEqual(expect.arrayContaining(["email", "firstName", "lastName"]));
});
