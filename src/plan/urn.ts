/**
 * Pulumi URNs as the plan needs them: `urn:pulumi:<stack>::<project>::<parent types$…$type>::<name>`.
 * Resource names here never contain `::`, but everything after the third separator is kept as
 * the name anyway.
 */
export interface ParsedUrn {
  readonly stack: string;
  readonly project: string;
  /** The resource's own type token (last of the qualified type). */
  readonly type: string;
  readonly name: string;
}

export function parseUrn(urn: string): ParsedUrn | undefined {
  if (!urn.startsWith("urn:pulumi:")) return undefined;
  const parts = urn.slice("urn:pulumi:".length).split("::");
  if (parts.length < 4) return undefined;
  const [stack, project, qualifiedType, ...name] = parts as [string, string, string, ...string[]];
  const types = qualifiedType.split("$");
  return { stack, project, type: types[types.length - 1]!, name: name.join("::") };
}
