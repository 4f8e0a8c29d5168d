/** @type {import('next').NextConfig} */
const nextConfig = {
  // Native and server-only modules stay outside the bundle; they are loaded by Node at run time.
  serverExternalPackages: [
    "better-sqlite3",
    "onnxruntime-node",
    "@ffmpeg-installer/ffmpeg",
    "@ffprobe-installer/ffprobe",
    "@prisma/client",
    "@prisma/adapter-better-sqlite3",
  ],
  poweredByHeader: false,
  // The e2e harness builds into its own directory so a concurrent `npm start` build never pulls .next from under it.
  distDir: process.env.GROUNDTRACK_NEXT_DIST_DIR || ".next",
};

export default nextConfig;
