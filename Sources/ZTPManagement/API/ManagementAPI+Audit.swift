/// The audit log.
extension ManagementAPI {
    func listAudit(_ input: Operations.ListAudit.Input) async throws -> Operations.ListAudit.Output {
        let (limit, offset) = try QueryCheck.page(limit: input.query.limit, offset: input.query.offset)
        let page = try store.audit(limit: limit, offset: offset)
        return .ok(.init(body: .json(.init(total: page.total, offset: offset, limit: limit,
                                           events: page.items.map(Components.Schemas.AuditEvent.init)))))
    }
}
