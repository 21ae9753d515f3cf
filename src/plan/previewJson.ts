/**
 * The part of `pulumi preview --json` the plan reads. Loose objects: the engine adds fields
 * between releases, and only these are needed. Secret values arrive as the string "[secret]"
 * (the CLI masks them unless asked with --show-secrets, which `plan` never does).
 */
import { z } from "zod";

export const ResourceStateSchema = z.looseObject({
  urn: z.string().optional(),
  type: z.string().optional(),
  parent: z.string().optional(),
  inputs: z.record(z.string(), z.unknown()).optional(),
  outputs: z.record(z.string(), z.unknown()).optional(),
});

export const PreviewStepSchema = z.looseObject({
  op: z.string(),
  urn: z.string(),
  oldState: ResourceStateSchema.optional(),
  newState: ResourceStateSchema.optional(),
  diffReasons: z.array(z.string()).optional(),
});

export const PreviewJsonSchema = z.looseObject({
  steps: z.array(PreviewStepSchema).default([]),
  changeSummary: z.record(z.string(), z.number()).optional(),
  diagnostics: z.array(z.looseObject({ message: z.string(), severity: z.string(), urn: z.string().optional() })).optional(),
});

export type ResourceState = z.infer<typeof ResourceStateSchema>;
export type PreviewStep = z.infer<typeof PreviewStepSchema>;
export type PreviewJson = z.infer<typeof PreviewJsonSchema>;

/** Parses the CLI's stdout; a clear error when it is not a preview document. */
export function parsePreviewJson(text: string): PreviewJson {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`pulumi preview --json did not print JSON: ${(e as Error).message}`);
  }
  const parsed = PreviewJsonSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`pulumi preview --json printed an unexpected document: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return parsed.data;
}
