/**
 * A file's identity in the state and in the content store: 22 base64url characters (132 bits) of
 * the sha256 of its bytes, a third of the hex digest. It only has to tell versions of a file
 * apart; the full sha256 is what the child verifies every write against and what its
 * manifest.json lists.
 */
import { createHash } from "node:crypto";

export const CONTENT_KEY_LENGTH = 22;

export const sha256Hex = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/** The content key of a sha256 given as 64 hex digits. */
export const contentKey = (sha256: string) => Buffer.from(sha256, "hex").toString("base64url").slice(0, CONTENT_KEY_LENGTH);

export const isContentKey = (s: string) => /^[A-Za-z0-9_-]{22}$/.test(s);

/**
 * The first 32 hex digits of the sha256 a content key names (the key carries 132 bits of it):
 * digests the state kept before a value moved into the store stay comparable with its key.
 */
export const sha256PrefixOfKey = (key: string) => Buffer.from(key, "base64url").subarray(0, 16).toString("hex");
