// Resources that touch no child: the stack key (a random secret made once, for the versions of
// secrets) and the barrier between rollout waves. Their state is their inputs' digest.
import { randomBytes } from "node:crypto";
import { sha256Hex } from "../../src/state/contentKey";
import { canonicalJson } from "../../src/util/canonical";
import { definedOnly } from "./connection";

export interface RecordProps {
  /** What the record holds; a change is an update of the record, nothing else. */
  record: unknown;
  /** Make a random key once, kept by every update: the stack key. */
  withKey?: boolean;
}

export interface RecordOutputs {
  digest: string;
  key?: string;
}

const digestOf = (p: RecordProps) => sha256Hex(canonicalJson(p.record ?? null)).slice(0, 32);

export async function create(props: RecordProps) {
  return { id: digestOf(props), outs: definedOnly<RecordOutputs>({ digest: digestOf(props), key: props.withKey ? randomBytes(32).toString("base64") : undefined }) };
}

export async function diff(_id: string, olds: RecordOutputs, news: RecordProps) {
  return { changes: olds.digest !== digestOf(news), replaces: [], deleteBeforeReplace: false };
}

export async function update(_id: string, olds: RecordOutputs, news: RecordProps) {
  return { outs: definedOnly<RecordOutputs>({ digest: digestOf(news), key: olds.key }) };
}

export async function remove(): Promise<void> {}

export async function read(id: string, props: RecordOutputs) {
  return { id, props };
}
