// Password hashing (bcrypt, cost 10: ~50 ms per check, slow enough for offline guessing, fast enough for tests).
import bcrypt from "bcryptjs";
import { randomBytes } from "node:crypto";

const COST = 10;

export function hashPassword(plain: string): Promise<string> {
  return bcrypt.hash(plain, COST);
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
