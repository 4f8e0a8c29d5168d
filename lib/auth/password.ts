// Password hashing (bcrypt, cost 10 by default: slow enough against offline guessing). Tests lower the cost
// with GROUNDTRACK_BCRYPT_COST (4-15); the cost is stored in each hash, so verification follows the hash.
import bcrypt from "bcryptjs";
import { randomBytes } from "node:crypto";

function cost(): number {
  const c = Number(process.env.GROUNDTRACK_BCRYPT_COST ?? 10);
  return Number.isInteger(c) && c >= 4 && c <= 15 ? c : 10;
}

export function hashPassword(plain: string): Promise<string> {
  return bcrypt.hash(plain, cost());
}

export function verifyPassword(plain: string, hash: string): Promise<boolean> {
  return bcrypt.compare(plain, hash);
}

/** A random human-typeable password (used for demo accounts generated on first start). */
export function generatePassword(length = 14): string {
  const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = randomBytes(length);
  let out = "";
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}
