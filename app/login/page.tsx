// /login — a plain HTML form (works without JavaScript) posting to /api/auth/login, which sets the cookie.
import { Shell } from "../_components/shell";

export const dynamic = "force-dynamic";

export default async function LoginPage({ searchParams }: { searchParams: Promise<Record<string, string | string[] | undefined>> }) {
  const sp = await searchParams;
  const next = typeof sp.next === "string" && sp.next.startsWith("/") ? sp.next : "/";
  return (
    <Shell actor={null} title="Sign in">
      <form className="login card" method="post" action="/api/auth/login">
        {sp.error ? <p className="error" role="alert">{sp.error === "throttled" ? "Too many failed attempts; wait a few minutes." : "Wrong username or password."}</p> : null}
        <label>Username <input name="username" autoComplete="username" required autoFocus /></label>
        <label>Password <input name="password" type="password" autoComplete="current-password" required /></label>
        <input type="hidden" name="next" value={next} />
        <button className="primary" type="submit">Sign in</button>
        <p className="muted">Demo logins are printed by <code>npm start</code> and kept in <code>data/demo-logins.txt</code>.</p>
      </form>
    </Shell>
  );
}
