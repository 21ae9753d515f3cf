/**
 * The rendered files an installer reads (kickstart, preseed, autoinstall user-data), prepared for
 * the installer's own validator: which format each is, the text it is checked as, and where each
 * of its lines came from. Pure: the shell runs the validators (components/installerValidators.ts).
 */
import type { ResolvedCatalog } from "../catalog/resolve";
import type { Breed } from "../catalog/schema";
import { compareStrings } from "../util/canonical";
import type { PlacedFile, ServerTree } from "./render";
import { showSecretsWith } from "./secretTokens";

export type InstallerFormat = "kickstart" | "preseed" | "cloud-config";

/** Where a line of a rendered file was written in the catalog. */
export interface SourceLine {
  readonly file: string;
  readonly line: number;
}

export interface InstallerFile {
  readonly format: InstallerFormat;
  /** The kickstart syntax version (`ksvalidator -v`), from the distribution's `osVersion`. */
  readonly osVersion?: string;
  readonly distribution: string;
  /** Where the distribution is declared, and its `osVersion` line: a wrong version is located there. */
  readonly distributionAt: SourceLine;
  /** The first server and path that holds this text; `copies` counts the others. */
  readonly server: string;
  readonly path: string;
  readonly copies: number;
  readonly origin: PlacedFile["origin"];
  /** Secrets as tokens. */
  readonly content: string;
  /** Per line of `content` (index 0 = line 1): the template line that wrote it, when one line of the templates can have. */
  readonly sources: readonly (SourceLine | null)[];
}

/**
 * A kickstart for Red Hat's family, a preseed for Debian's; Ubuntu's autoinstall is cloud-config
 * user-data (`#cloud-config` on its first line), older Ubuntu releases read a preseed. SUSE's
 * AutoYaST and generic installers have no validator here.
 */
export function installerFormat(breed: Breed, content: string): InstallerFormat | undefined {
  if (breed === "redhat") return "kickstart";
  if (breed === "debian") return "preseed";
  if (breed === "ubuntu") return /^#cloud-config[ \t]*(\r?\n|$)/.test(content) ? "cloud-config" : "preseed";
  return undefined;
}

/** The autoinstall files of these trees, each distinct text (by format and version) once. */
export function installerFiles(resolved: ResolvedCatalog, trees: readonly ServerTree[]): InstallerFile[] {
  const out = new Map<string, InstallerFile>();
  for (const tree of trees) {
    for (const f of tree.files) {
      if (f.content === undefined || (f.origin.kind !== "profile" && f.origin.kind !== "host")) continue;
      const profileName = f.origin.kind === "host" ? resolved.hosts.get(f.origin.name)?.profile : f.origin.name;
      const profile = profileName !== undefined ? resolved.profiles.get(profileName) : undefined;
      const dist = profile?.distribution !== undefined ? resolved.distributions.get(profile.distribution) : undefined;
      if (!profile || !dist || profile.autoinstall === undefined) continue;
      const format = installerFormat(dist.breed, f.content);
      if (!format) continue;
      const osVersion = format === "kickstart" ? dist.osVersion : undefined;
      const key = verdictKey(format, osVersion, f.content);
      const seen = out.get(key);
      if (seen) {
        out.set(key, { ...seen, copies: seen.copies + 1 });
        continue;
      }
      const template = resolved.templates.get(profile.autoinstall);
      const bodies = [profile.autoinstall, ...(template?.closure ?? [])].flatMap((n) => {
        const t = resolved.templates.get(n);
        return t && !t.builtin ? [{ body: t.body, file: t.bodyFile, offset: t.bodyLineOffset }] : [];
      });
      out.set(key, {
        format,
        ...(osVersion !== undefined ? { osVersion } : {}),
        distribution: dist.name,
        distributionAt: { file: dist.origin.file, line: dist.origin.keyLines["osVersion"] ?? dist.origin.line },
        server: tree.server,
        path: f.path,
        copies: 0,
        origin: f.origin,
        content: f.content,
        sources: sourceLines(f.content, bodies),
      });
    }
  }
  return [...out.values()].sort((a, b) => compareStrings(a.path, b.path) || compareStrings(a.server, b.server));
}

const verdictKey = (format: InstallerFormat, osVersion: string | undefined, content: string) => `${format}\0${osVersion ?? ""}\0${sameVerdict(format, content)}`;

/** Lists of installer files (e.g. of several stacks) as one, each verdict once. */
export function mergeInstallerFiles(lists: readonly (readonly InstallerFile[])[]): InstallerFile[] {
  const out = new Map<string, InstallerFile>();
  for (const f of lists.flat()) {
    const key = verdictKey(f.format, f.osVersion, f.content);
    const seen = out.get(key);
    out.set(key, seen ? { ...seen, copies: seen.copies + f.copies + 1 } : f);
  }
  return [...out.values()];
}

/**
 * Texts that differ only in whole-line comments get the same verdict from a kickstart or preseed
 * validator (each server's copy names the server in a comment): one of them is checked. A
 * comment in YAML may sit inside a block scalar, so cloud-config is compared whole but for URLs.
 * No validator reads where a URL points, and every child writes its own address and port into
 * its copy: without this a fleet of a thousand children ran a thousand validators per profile.
 */
function sameVerdict(format: InstallerFormat, content: string): string {
  const anyWhere = content.replace(URL_AUTHORITY, "$1://~");
  return format === "cloud-config" ? anyWhere : anyWhere.split("\n").filter((l) => !/^[ \t]*#[^\r\v\f\x1c-\x1e\x85\u2028\u2029]*$/.test(l)).join("\n");
}

/** A URL's scheme and authority (user, host, port): the part that names a place, not a syntax. */
const URL_AUTHORITY = /\b([a-z][a-z0-9+.-]*):\/\/[^/\s"'<>]*/gi;

const TAG = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}|\{#[\s\S]*?#\}/g;
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * For each rendered line, the one template line that can have written it: a template line
 * matches when its literal text is the rendered line's, with every `{{ }}` and `{% %}` standing
 * for any text. A line that several template lines match, or none, has no source.
 */
export function sourceLines(rendered: string, bodies: readonly { body: string; file: string; offset: number }[]): (SourceLine | null)[] {
  const patterns: { re: RegExp; at: SourceLine }[] = [];
  for (const b of bodies) {
    b.body.split("\n").forEach((line, i) => {
      const literal = line.replace(TAG, "").trim();
      // A line of tags only writes any text or none: it says nothing about where a line came from.
      if (literal === "") return;
      const parts = line.trim().split(TAG).map(escapeRe);
      patterns.push({ re: new RegExp(`^\\s*${parts.join("[\\s\\S]*?")}\\s*$`), at: { file: b.file, line: b.offset + i + 1 } });
    });
  }
  return rendered.split("\n").map((line) => {
    if (line.trim() === "") return null;
    const found = patterns.filter((p) => p.re.test(line));
    return found.length === 1 ? found[0]!.at : null;
  });
}

/** What each validator reads as a line break (Python's str.splitlines, YAML 1.1, Perl's `<>`). */
const BREAKS: Record<InstallerFormat, RegExp> = {
  kickstart: /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/,
  "cloud-config": /\r\n|[\n\r\x85\u2028\u2029]/,
  preseed: /\n/,
};

/** A secret as the validator sees it: a plain word, valid in every format, no value. */
export const secretPlaceholder = (name: string) => `SECRET_${name}`;

export interface ValidatorInput {
  /** The text the validator reads: secrets as placeholders, one line per line it counts. */
  readonly text: string;
  /** Per line of `text` (index 0 = line 1): the line of the rendered file it is on. */
  readonly renderedLines: readonly number[];
  /** Rendered lines that would make the validator fetch a file or URL, written as comments. */
  readonly neutralized: readonly number[];
}

/**
 * The text a validator is given. Lines are split where that validator splits them, so its line
 * numbers map back to the rendered file's. A kickstart's `%ksappend` lines are commented out:
 * pykickstart fetches them (a URL or any file) before it parses, even when it follows no `%include`.
 */
export function validatorInput(format: InstallerFormat, content: string): ValidatorInput {
  const lines: string[] = [];
  const renderedLines: number[] = [];
  const neutralized: number[] = [];
  // A rendered line ends at \n (after an \r, for validators that take \r\n as one break).
  content.split(format === "preseed" ? "\n" : /\r?\n/).forEach((renderedLine, i) => {
    for (const part of renderedLine.split(BREAKS[format])) {
      let line = showSecretsWith(part, secretPlaceholder);
      if (format === "kickstart" && /^%ksappend/.test(pythonStrip(line))) {
        line = `#${line}`;
        if (!neutralized.includes(i + 1)) neutralized.push(i + 1);
      }
      lines.push(line);
      renderedLines.push(i + 1);
    }
  });
  return { text: lines.join("\n"), renderedLines, neutralized };
}

/** Python's str.strip(): every Unicode white space, the separators included. */
const pythonStrip = (s: string) => s.replace(/^[\s\x1c-\x1f\x85]+/u, "");
