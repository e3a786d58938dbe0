/**
 * An address found in free text (a header too large to parse, a forwarded header block), in
 * linear time. The regexes this replaces — `C+@C+` and `C+@C+\.C+` over a class `C` that holds
 * `@` and `.` themselves — tried every split of a long run before failing: a line of tens of
 * thousands of `@`s or dots in a mail held the server's one thread for seconds to minutes
 * (quadratic or worse in the run's length).
 */

/**
 * The first maximal run of `chars` (a global regex matching runs of the allowed characters) in
 * which `C+@C+` matches, `C+@C+\.C+` with `dotted` — which is what those regexes returned: an
 * `@` after the run's first character with something after it (and, with `dotted`, a `.` at
 * least two characters after that `@`, not the run's last character); else null.
 */
export function addressRun(text: string, chars: RegExp, dotted = false): string | null {
  for (const [run] of text.matchAll(chars)) {
    const at = run.indexOf('@', 1);
    if (at === -1 || at === run.length - 1) continue;
    if (dotted && run.lastIndexOf('.', run.length - 2) < at + 2) continue;
    return run;
  }
  return null;
}
