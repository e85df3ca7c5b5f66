/** `{{name}}` placeholders, as in ElevenLabs dynamic variables (case-sensitive, optional spaces). */
const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

export function templateVariables(template: string): string[] {
  return [...new Set([...template.matchAll(PLACEHOLDER)].map((m) => m[1]!))];
}

/** The variables a row lacks (missing or blank) for this template. */
export function missingVariables(template: string, vars: Record<string, unknown>): string[] {
  return templateVariables(template).filter((v) => vars[v] === undefined || vars[v] === null || String(vars[v]).trim() === '');
}

/** Renders the template; every placeholder must have a value (check with `missingVariables` first). */
export function renderTemplate(template: string, vars: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_m, name: string) => {
    const v = vars[name];
    if (v === undefined || v === null) throw new Error(`missing template variable ${name}`);
    return String(v);
  });
}
