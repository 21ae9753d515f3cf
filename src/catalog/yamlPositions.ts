/** Maps key paths of a parsed YAML document to 1-based source lines. */
import { type Document, isMap, isPair, isScalar, isSeq, type LineCounter, type Node } from "yaml";

export function nodeAt(doc: Document, path: readonly PropertyKey[]): { node: Node | null; keyNode: Node | null; depth: number } {
  let node = doc.contents as Node | null;
  let keyNode: Node | null = null;
  let depth = 0;
  for (const seg of path) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg));
      if (!pair) break;
      keyNode = pair.key as Node;
      node = (pair.value as Node | null) ?? keyNode;
    } else if (isSeq(node) && typeof seg === "number" && node.items[seg]) {
      node = node.items[seg] as Node;
      keyNode = null;
    } else break;
    depth++;
  }
  return { node, keyNode, depth };
}

/** Line of the deepest existing node on `path` (the key's line for a map entry). */
export function lineAt(doc: Document, lc: LineCounter, path: readonly PropertyKey[]): number {
  const { node, keyNode } = nodeAt(doc, path);
  const target = keyNode ?? node;
  const offset = target?.range?.[0];
  return offset === undefined ? 1 : lc.linePos(offset).line;
}

/** Every key path under `path` → line, relative to `path` (`parent`, `kernel.sha256`, `configFiles[1]`). */
export function keyLines(doc: Document, lc: LineCounter, path: readonly PropertyKey[]): Record<string, number> {
  const out: Record<string, number> = {};
  const walk = (n: unknown, rel: string) => {
    if (isMap(n)) {
      for (const it of n.items) {
        if (!isPair(it) || !isScalar(it.key)) continue;
        const k = String(it.key.value);
        const p = rel ? `${rel}.${k}` : k;
        const off = (it.key as Node).range?.[0];
        if (off !== undefined) out[p] = lc.linePos(off).line;
        walk(it.value, p);
      }
    } else if (isSeq(n)) {
      n.items.forEach((it, i) => {
        const p = `${rel}[${i}]`;
        const off = (it as Node | null)?.range?.[0];
        if (off !== undefined) out[p] = lc.linePos(off).line;
        walk(it, p);
      });
    }
  };
  walk(nodeAt(doc, path).node, "");
  return out;
}

/** For a scalar holding template text: the line before its first content line. */
export function textLineOffset(doc: Document, lc: LineCounter, path: readonly PropertyKey[]): number {
  const { node } = nodeAt(doc, path);
  if (!isScalar(node) || !node.range) return 0;
  const line = lc.linePos(node.range[0]).line;
  return node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED" ? line : line - 1;
}

/**
 * Key path of the deepest node whose source range holds `offset` (e.g. where a syntax error
 * was found), as far as the partial document goes: `["profiles", 0, "parent"]`.
 */
export function pathAtOffset(doc: Document, offset: number): PropertyKey[] {
  const holds = (n: unknown) => {
    const r = (n as Node | null)?.range;
    return r != null && r[0] <= offset && offset <= r[2];
  };
  const out: PropertyKey[] = [];
  let node = doc.contents as unknown;
  for (;;) {
    if (isMap(node)) {
      const pair = node.items.find((it) => isPair(it) && isScalar(it.key) && (holds(it.key) || holds(it.value)));
      if (!pair) break;
      out.push(String((pair.key as { value: unknown }).value));
      if (!holds(pair.value)) break;
      node = pair.value;
    } else if (isSeq(node)) {
      const i = node.items.findIndex((it) => holds(it));
      if (i < 0) break;
      out.push(i);
      node = node.items[i];
    } else break;
  }
  return out;
}
