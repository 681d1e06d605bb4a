/** A vendor of leads and its API keys: the `vendors` topic's records (schemas/vendor.avsc). */

export interface VendorKey {
  keyId: string;
  sha256: string;
  createdAt: number;
  expiresAt: number | null;
}

export interface Vendor {
  vendorId: string;
  name: string;
  status: 'active' | 'disabled';
  keys: VendorKey[];
  rateLimitPerMinute: number | null;
  createdAt: number;
  rotatedAt: number | null;
  disabledAt: number | null;
  /** Where status webhooks go; none when null (records written before it existed lack it). */
  webhookUrl?: string | null;
}
