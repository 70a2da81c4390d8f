/// One page of a listing: the items at the requested offset, and how many match in all.
///
/// `total` counts every matching row, not only those in `items`, so a client can page.
public struct Page<Item: Sendable>: Sendable {
    public var total: Int
    public var items: [Item]

    public init(total: Int, items: [Item]) {
        self.total = total
        self.items = items
    }
}

extension Page: Equatable where Item: Equatable {}
extension Page: Encodable where Item: Encodable {}
extension Page: Decodable where Item: Decodable {}
