extension MockServer {
    /// The release version of bytespike-mock (`MAJOR.MINOR.PATCH`).
    ///
    /// The one source of truth: `bytespike-mock --version` prints it, and `scripts/version` reads this
    /// line for the release tarball and the Python wheel, so keep it a plain string literal on one line.
    public static let version = "0.1.0"
}
