"use client";
// The shortcut help overlay, rendered from the same KEY_BINDINGS table that dispatches key presses.
import { KEY_BINDINGS } from "../../lib/annotator/keymap";
import styles from "./annotator.module.css";

const pretty = (k: string) => (k === " " ? "Space" : k.replace("Arrow", "").replace("ctrl+", "Ctrl+").replace("meta+", "⌘+").replace("shift+", "Shift+"));

export function HelpOverlay({ onClose }: { onClose: () => void }) {
  return (
    <div className={styles.overlay} role="dialog" aria-label="Keyboard shortcuts" data-testid="help-overlay" onClick={onClose}>
      <div className={styles.helpCard} onClick={(e) => e.stopPropagation()}>
        <h2>Keyboard shortcuts</h2>
        <table>
          <tbody>
            {KEY_BINDINGS.map((b) => (
              <tr key={b.action}>
                <td className={styles.keys}>{b.keys.map((k) => <kbd key={k}>{pretty(k)}</kbd>)}</td>
                <td>{b.description}</td>
              </tr>
            ))}
            <tr><td className={styles.keys}><kbd>Click</kbd></td><td>Place the target point on this frame (keyframe)</td></tr>
            <tr><td className={styles.keys}><kbd>Drag</kbd></td><td>Move the target point</td></tr>
            <tr><td className={styles.keys}><kbd>Wheel</kbd></td><td>Zoom around the cursor</td></tr>
            <tr><td className={styles.keys}><kbd>Space+drag</kbd><kbd>Middle drag</kbd></td><td>Pan</td></tr>
          </tbody>
        </table>
        <button type="button" onClick={onClose}>Close</button>
      </div>
    </div>
  );
}
