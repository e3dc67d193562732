/**
 * The `attributes` and `excludedAttributes` query parameters of SCIM answers (RFC 7644 §3.4.2.5): which
 * attributes and sub-attributes of a document, core or extension, an answer keeps. Unknown names are
 * ignored; `id` and `schemas` always stay.
 */
import { Json, isObject, keyCi, splitUrn } from "./scim-filter";
import { URN } from "./scim-schemas";

/** An attribute path of a projection: the object it lives in ("" for the resource, else an extension URN), name, sub. */
interface Pick {
  container: string;
  name: string;
  sub?: string;
}

function readPicks(raw: string | null, doc: Json): Pick[] {
  const core = [URN.user, URN.group].map((u) => u.toLowerCase());
  return (raw ?? "")
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)
    .map((path): Pick => {
      const whole = keyCi(doc, path);
      if (whole !== undefined && /^urn:/i.test(whole)) return { container: "", name: whole };
      const { urn, rest } = splitUrn(path);
      const [name = "", sub] = rest.split("."); // split gives at least one part
      return { container: urn && !core.includes(urn.toLowerCase()) ? urn.toLowerCase() : "", name, sub };
    });
}

/** Keeps (`keep`) or removes the picked attributes and sub-attributes of one object. */
function cut(obj: Json, picks: Pick[], keep: boolean): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(obj)) {
    const mine = picks.filter((p) => p.name.toLowerCase() === k.toLowerCase());
    if (!mine.length) {
      if (!keep) out[k] = v;
      continue;
    }
    if (mine.some((p) => p.sub === undefined)) {
      if (keep) out[k] = v;
      continue;
    }
    const subs = mine.map((p) => (p.sub ?? "").toLowerCase());
    const trim = (e: unknown) =>
      isObject(e)
        ? Object.fromEntries(Object.entries(e).filter(([sk]) => subs.includes(sk.toLowerCase()) === keep))
        : e;
    out[k] = Array.isArray(v) ? v.map(trim) : trim(v);
  }
  return out;
}

/** The answer with only the attributes asked (plus id and schemas), or without the excluded ones; unknown names are ignored. */
export function project(doc: Json, attributes: string | null, excludedAttributes: string | null): Json {
  const wanted = readPicks(attributes, doc);
  const excluded = readPicks(excludedAttributes, doc).filter(
    (p) => !(p.container === "" && ["id", "schemas"].includes(p.name)),
  );
  const inside = (picks: Pick[], container: string) => picks.filter((p) => p.container === container);
  let out: Json = wanted.length
    ? { ...cut(doc, inside(wanted, ""), true), schemas: doc.schemas, id: doc.id }
    : { ...doc };
  out = cut(out, inside(excluded, ""), false);
  for (const [k, v] of Object.entries(out)) {
    if (!/^urn:/i.test(k) || !isObject(v)) continue;
    const ownWanted = inside(wanted, k.toLowerCase());
    let ext = v;
    if (ownWanted.length) ext = cut(ext, ownWanted, true);
    ext = cut(ext, inside(excluded, k.toLowerCase()), false);
    out[k] = ext;
  }
  if (wanted.length)
    for (const [k, v] of Object.entries(doc))
      if (/^urn:/i.test(k) && !(k in out) && isObject(v) && inside(wanted, k.toLowerCase()).length) {
        const ext = cut(cut(v, inside(wanted, k.toLowerCase()), true), inside(excluded, k.toLowerCase()), false);
        out[k] = ext;
      }
  return out;
}
