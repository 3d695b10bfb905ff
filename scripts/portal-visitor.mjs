// A signed-in visitor of a running portal, for the measuring scripts: keeps its cookies,
// posts forms as a browser without JavaScript does.
const PASSWORD = 'partner-demo-2026';

export class Visitor {
  constructor(base) { this.base = base; this.cookies = new Map(); }
  async fetch(path, init = {}) {
    const headers = { ...(init.headers ?? {}), cookie: this.cookieHeader() };
    const response = await fetch(`${this.base}${path}`, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const [name, value] = pair.split('=');
      this.cookies.set(name, value);
    }
    return response;
  }
  async post(path, fields) {
    return this.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', origin: this.base },
      body: new URLSearchParams(fields).toString(),
    });
  }
  async signIn(email) {
    const login = await this.html('/login');
    const action = login.match(/action="(\/api\/login_with_password[^"]*)"/)[1];
    const response = await this.post(action, { email, password: PASSWORD, next: '/' });
    if (response.status >= 400) throw new Error(`sign-in as ${email} failed: ${response.status}`);
  }
  async html(path) {
    const response = await this.fetch(path, { headers: { accept: 'text/html' } });
    if (response.status !== 200) throw new Error(`${path}: HTTP ${response.status}`);
    return response.text();
  }

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
}

/** Starts a quiz on the path at `pathLink` with the pages' own forms and returns its URL. */
export async function startQuiz(visitor, pathLink) {
  // A quiz attempt: walk the path's steps in order with the page's own forms (mark documents
  // as read) until a quiz can be started.
  let attemptPath = null;
  for (let round = 0; round < 12 && !attemptPath; round += 1) {
    const player = await visitor.html(pathLink);
    const steps = [...player.matchAll(/href="(\/learn\/\d+\?step=\d+)"/g)].map((m) => m[1].replaceAll('&amp;', '&'));
    let acted = false;
    for (const step of steps) {
      const page = await visitor.html(step);
      const quiz = page.match(/action="(\/api\/start_quiz[^"]*)"[\s\S]*?name="step_id" value="(\d+)"/);
      if (quiz) {
        attemptPath = (await visitor.post(quiz[1], { step_id: quiz[2] })).headers.get('location');
        break;
      }
      const read = page.match(/action="(\/api\/complete_document[^"]*)"[\s\S]*?name="step_id" value="(\d+)"/);
      if (read) {
        await visitor.post(read[1], { step_id: read[2] });
        acted = true;
        break;
      }
    }
    if (!acted && !attemptPath) break;
  }
  return attemptPath;
}
