"use client";
// Client-only mount of the query UI: the player is Konva (browser canvas), so it never renders on the server.
import dynamic from "next/dynamic";
import type { QueryAppProps } from "./QueryApp";

const QueryApp = dynamic(() => import("./QueryApp"), { ssr: false, loading: () => <p className="muted">Loading…</p> });

export function QueryLoader(props: QueryAppProps) {
  return <QueryApp {...props} />;
}
