import type { GlobalTable } from '../../runtime/global-table';
import { checkKey, hashApiKey, type KeyCheck } from './vendors';
import { type Vendor } from '../../schemas/vendor-records';

/**
 * The vendors table (a global table over the compacted `vendors` topic) with an index from key
 * hash to vendor, kept up to date as vendors are created, rotated or disabled, so a key made by
 * `leadflow vendors create` works in every API process within moments.
 */
export class VendorDirectory {
  private readonly byKeyHash = new Map<string, string>();
  private readonly hashesOf = new Map<string, string[]>();

  constructor(private readonly table: GlobalTable<Vendor>) {
    table.onChange((vendorId, vendor) => this.index(vendorId, vendor));
    for (const [vendorId, vendor] of table.entries()) this.index(vendorId, vendor);
  }

  get(vendorId: string): Vendor | undefined {
    return this.table.get(vendorId);
  }

  authenticate(apiKey: string, now: number): KeyCheck {
    const sha256 = hashApiKey(apiKey);
    const vendorId = this.byKeyHash.get(sha256);
    return checkKey(vendorId === undefined ? undefined : this.table.get(vendorId), sha256, now);
  }

  private index(vendorId: string, vendor: Vendor | null): void {
    for (const hash of this.hashesOf.get(vendorId) ?? []) this.byKeyHash.delete(hash);
    const hashes = vendor?.keys.map((k) => k.sha256) ?? [];
    for (const hash of hashes) this.byKeyHash.set(hash, vendorId);
    this.hashesOf.set(vendorId, hashes);
  }
}
