// The README and docs/*.md link to each other and to the code with relative links: every one must point to a file
// that exists and, with a #fragment into a Markdown page, to a heading of that page (GitHub's anchors).
import assert from "node:assert/strict";

const root = new URL("../", import.meta.url);

async function pages(): Promise<URL[]> {
  const urls = [new URL("README.md", root)];
  for await (const entry of Deno.readDir(new URL("docs/", root))) {
    if (entry.isFile && entry.name.endsWith(".md")) urls.push(new URL(`docs/${entry.name}`, root));
  }
  return urls;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to dashes. */
function anchor(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, "").replaceAll(" ", "-");
}

const withoutCode = (text: string) => text.replace(/^```[\s\S]*?^```/gm, "");

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch {
    return false;
  }
}

Deno.test("anchor() follows GitHub's rule", () => {
  assert.equal(
    anchor("Decoupled modules on 2 cores: does asynchronous learning make SG faster?"),
    "decoupled-modules-on-2-cores-does-asynchronous-learning-make-sg-faster",
  );
  assert.equal(anchor("Synthetic gradients: `sg` and `csg`"), "synthetic-gradients-sg-and-csg");
});

Deno.test("every relative link in the README and docs/*.md points to a file, and a #fragment to a heading", async () => {
  const headings = new Map<string, Set<string>>();
  for (const page of await pages()) {
    const text = withoutCode(await Deno.readTextFile(page));
    headings.set(page.href, new Set([...text.matchAll(/^#+ (.*)$/gm)].map((m) => anchor(m[1]!))));
  }
  const broken: string[] = [];
  for (const page of await pages()) {
    const text = withoutCode(await Deno.readTextFile(page));
    for (const [, link] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/i.test(link!)) continue; // https:, mailto:
      const [path, fragment] = link!.split("#");
      const target = path ? new URL(path, page) : page;
      const name = `${page.pathname.slice(root.pathname.length)}: ${link}`;
      if (!await exists(target)) broken.push(`${name} (no such file)`);
      else if (fragment && target.pathname.endsWith(".md") && !headings.get(target.href)?.has(fragment)) {
        broken.push(`${name} (no such heading)`);
      }
    }
  }
  assert.deepEqual(broken, []);
});
