/**
 * The update engine boundary. We don't write an updater: RAUC does the A/B work (signature check,
 * inactive-slot install, boot order, boot counting). This interface is the small part of it the
 * update job needs, so the job's logic can be read without D-Bus in the way.
 */

export interface BundleInfo {
  compatible: string;
  version: string;
  /** RAUC ≥ 1.10 (InspectBundle) only: pins the install to exactly the inspected manifest. */
  manifestHash?: string;
}

export interface SlotStatus {
  /** RAUC slot name, e.g. "rootfs.1". */
  name: string;
  /** Bootloader name, e.g. "B" (what BootSlot reports). */
  bootname?: string;
  /** "booted" | "active" | "inactive". */
  state?: string;
  /** Bootloader's view: "good" | "bad". */
  bootStatus?: string;
  bundleVersion?: string;
  sha256?: string;
}

export interface InstallProgress {
  percent: number;
  message: string;
}

/** An engine refusal with a reason fit for the fleet (shown verbatim on MQTT). */
export class UpdateEngineError extends Error {
  constructor(
    readonly code: 'unreachable' | 'rejected' | 'install_failed' | 'mark_failed',
    message: string,
  ) {
    super(message);
  }
}

export interface UpdateEngine {
  /** The system's compatible string (bundles for another product are refused). */
  compatible(): Promise<string>;
  /** Bootname of the slot we are running from. */
  bootSlot(): Promise<string>;
  slots(): Promise<SlotStatus[]>;
  /** Name of the slot the bootloader will boot next (RAUC's GetPrimary). */
  primary(): Promise<string>;
  /** Check signature against the keyring; reject with UpdateEngineError('rejected', reason). */
  inspect(bundlePath: string): Promise<BundleInfo>;
  /**
   * Install into the inactive slot and make it primary for the next boot. Resolves when RAUC reports
   * success; rejects with the reason otherwise.
   */
  install(bundlePath: string, info: BundleInfo, onProgress: (p: InstallProgress) => void): Promise<void>;
  /** Mark("good"|"bad"|"active", "booted"|"other"|slot name); returns RAUC's message. */
  mark(state: 'good' | 'bad' | 'active', slot: string): Promise<{ slot: string; message: string }>;
  close(): Promise<void>;
}
