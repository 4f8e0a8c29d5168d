// Page frame: navigation for the signed-in user's role and a logout button.
import type { ReactNode } from "react";
import type { Actor } from "../../lib/auth/roles";

export function Shell({ actor, title, children }: { actor: Actor | null; title: string; children: ReactNode }) {
  return (
    <>
      <header className="top">
        <a className="brand" href="/">groundtrack</a>
        {actor && (
          <nav>
            <a href="/">My tasks</a>
            {(actor.role === "reviewer" || actor.role === "admin") && <a href="/review">Review</a>}
            {(actor.role === "reviewer" || actor.role === "admin") && <a href="/reports">Reports</a>}
            {(actor.role === "reviewer" || actor.role === "admin") && <a href="/query">Query</a>}
            <a href="/models">Models</a>
            {actor.role === "admin" && <a href="/admin">Admin</a>}
          </nav>
        )}
        {actor && (
          <form className="who" method="post" action="/api/auth/logout">
            <span>{actor.displayName} · {actor.role}</span>
            <button type="submit">Log out</button>
          </form>
        )}
      </header>
      <main>
        <h1>{title}</h1>
        {children}
      </main>
    </>
  );
}

export function Denied({ message }: { message: string }) {
  return <p className="error" role="alert">{message}</p>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status}`}>{status.replace("_", " ")}</span>;
}
