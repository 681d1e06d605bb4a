// Types for the raw data module of the `zipcodes` package (BSD licence), which ships none.
declare module 'zipcodes/lib/codes' {
  export const codes: Record<
    string,
    { zip: string; latitude: number; longitude: number; city: string; state: string; country: string }
  >;
}
