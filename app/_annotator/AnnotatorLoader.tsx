"use client";
// Client-only mount of the annotator: Konva needs a browser canvas, so it is never rendered on the server.
import dynamic from "next/dynamic";
import type { Actor } from "../../lib/auth/roles";
import type { AnnotatorMode } from "./Annotator";

const Annotator = dynamic(() => import("./Annotator"), { ssr: false, loading: () => <p style={{ padding: "3rem" }}>Loading the annotator…</p> });

export function AnnotatorLoader(props: { taskId: number; mode: AnnotatorMode; actor: Actor }) {
  return <Annotator {...props} />;
}
