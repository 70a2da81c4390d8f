extension Store {
    /// Throws unless `limit` and `offset` are both non-negative. A limit of 0 returns only the total.
    static func validatePage(limit: Int, offset: Int) throws {
        guard limit >= 0, offset >= 0 else {
            throw StoreError.invalidPage(limit: limit, offset: offset)
        }
    }
}
