/**
 * A small shell reader: enough of bash to find the commands a workflow's `run:` script runs, so a test
 * can check every `npx pulumi-travelperk` invocation against the real CLI. It splits a script into
 * simple commands (words unquoted; leading keywords, assignments and redirections left out) and lists
 * the operators between them. It is not a shell: no expansion, no here-documents.
 */

const KEYWORDS = new Set(["if", "then", "else", "elif", "fi", "do", "done", "while", "until", "!", "{", "}"]);

/** The simple commands of a script and the operators (`|`, `&&`, `;`, `$(` …) between them, in order. */
export function shellCommands(script: string): { commands: string[][]; operators: string[] } {
  const commands: string[][] = [];
  const operators: string[] = [];
  let current: string[] = [];
  let word: string | undefined;
  let dropNextWord = false; // the target of a redirection
  const endWord = () => {
    if (word === undefined) return;
    if (dropNextWord) dropNextWord = false;
    else current.push(word);
    word = undefined;
  };
  const isPreamble = (w: string) => KEYWORDS.has(w) || /^[A-Za-z_]\w*=/.test(w);
  const endCommand = () => {
    endWord();
    const start = current.findIndex((w) => !isPreamble(w));
    if (start >= 0) commands.push(current.slice(start));
    current = [];
  };
  for (let i = 0; i < script.length; i++) {
    const c = script.charAt(i);
    const next = script.charAt(i + 1);
    if (c === "\\" && next === "\n") {
      i++;
    } else if (c === "\\") {
      word = (word ?? "") + next;
      i++;
    } else if (c === "'") {
      const end = script.indexOf("'", i + 1);
      if (end < 0) throw new Error("unterminated ' in script");
      word = (word ?? "") + script.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let text = "";
      for (i++; i < script.length && script.charAt(i) !== '"'; i++) {
        const escaped = script.charAt(i + 1);
        if (script.charAt(i) === "\\" && escaped !== "" && '"\\$`\n'.includes(escaped)) {
          text += escaped;
          i++;
        } else text += script.charAt(i);
      }
      if (i >= script.length) throw new Error('unterminated " in script');
      word = (word ?? "") + text;
    } else if (c === "#" && word === undefined) {
      while (i + 1 < script.length && script.charAt(i + 1) !== "\n") i++;
    } else if (c === "$" && next === "(") {
      endCommand();
      operators.push("$(");
      i++;
    } else if (c === ">" || c === "<") {
      if (word !== undefined && /^\d+$/.test(word)) word = undefined; // a file descriptor
      endWord();
      if (next === c) i++;
      if (c === "<" && next === "<") throw new Error("here-documents are not supported by this reader");
      if (script.charAt(i + 1) === "&") {
        for (i++; /[\d-]/.test(script.charAt(i + 1)); i++);
      } else dropNextWord = true;
    } else if ("|&;\n()".includes(c)) {
      const op = (c === "|" || c === "&") && next === c ? c + next : c;
      i += op.length - 1;
      endCommand();
      if (op !== "\n") operators.push(op);
    } else if (c === " " || c === "\t") {
      endWord();
    } else {
      word = (word ?? "") + c;
    }
  }
  endCommand();
  return { commands, operators };
}
