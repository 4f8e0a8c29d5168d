import type { ReactNode } from "react";
import "./globals.css";

export const metadata = { title: "groundtrack", description: "Point-track annotation: TrackAny annotator, review and progress." };

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
