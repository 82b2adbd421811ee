// Hand-written (not generated): QorganError's readable text.
//
// uniffi exports the Rust `Display` of the error as `description`; declaring
// the conformance makes `errorDescription` (which is `String(reflecting:)`)
// and string interpolation use it: "wrong storage key for this store"
// instead of the case and its fields. The fields stay on the cases.
extension QorganError: CustomStringConvertible {}
