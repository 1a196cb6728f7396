/// What the gateway does with a text or image-generation request field that no table in
/// `RequestFields` lists: `--unknown-fields` sets it for the process, the `X-Mock-Unknown-Fields`
/// header for one request. A plain value; `Sendable`.
public enum UnknownFieldPolicy: String, Sendable, CaseIterable {
    /// The provider's 400 naming the field, in the provider's envelope (the default).
    case reject
    /// Accepted without effect, for clients that send extension fields on purpose.
    case ignore
}
