// Prisma CLI configuration: the JS schema engine through the better-sqlite3 driver adapter, so no native
// Prisma engine binary is ever downloaded (Prisma's install scripts are denied in package.json).
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaBetterSQLite3 } from "@prisma/adapter-better-sqlite3";

const url = process.env.DATABASE_URL ?? `file:${path.join(process.cwd(), "data", "groundtrack.db")}`;

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: path.join("prisma", "schema.prisma"),
  adapter: async () => new PrismaBetterSQLite3({ url }),
});
