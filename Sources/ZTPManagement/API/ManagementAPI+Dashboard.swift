import OpenAPIMicroHTTPD
import OpenAPIRuntime

/// The dashboard's static files (`Public/`); no authentication.
extension ManagementAPI {
    private var files: StaticFiles {
        get throws(HTTPError) {
            guard let publicDirectory else { throw .notFound("the dashboard is not installed next to this server") }
            return StaticFiles(directory: publicDirectory)
        }
    }

    func getDashboard(_ input: Operations.GetDashboard.Input) async throws -> Operations.GetDashboard.Output {
        .ok(.init(headers: .init(xContentTypeOptions: .nosniff), body: .html(HTTPBody(try files.contents(of: "index.html")))))
    }

    func getDashboardIndex(_ input: Operations.GetDashboardIndex.Input) async throws -> Operations.GetDashboardIndex.Output {
        .ok(.init(headers: .init(xContentTypeOptions: .nosniff), body: .html(HTTPBody(try files.contents(of: "index.html")))))
    }

    func getDashboardStyles(_ input: Operations.GetDashboardStyles.Input) async throws -> Operations.GetDashboardStyles.Output {
        .ok(.init(headers: .init(xContentTypeOptions: .nosniff), body: .textCss(HTTPBody(try files.contents(of: "app.css")))))
    }

    func getDashboardScript(_ input: Operations.GetDashboardScript.Input) async throws -> Operations.GetDashboardScript.Output {
        let bytes = try files.contents(of: input.path.file, in: "js", withSuffix: ".js")
        return .ok(.init(headers: .init(xContentTypeOptions: .nosniff), body: .textJavascript(HTTPBody(bytes))))
    }

    func getDashboardViewScript(_ input: Operations.GetDashboardViewScript.Input) async throws -> Operations.GetDashboardViewScript.Output {
        let bytes = try files.contents(of: input.path.file, in: "js/views", withSuffix: ".js")
        return .ok(.init(headers: .init(xContentTypeOptions: .nosniff), body: .textJavascript(HTTPBody(bytes))))
    }

    func getVendorFile(_ input: Operations.GetVendorFile.Input) async throws -> Operations.GetVendorFile.Output {
        let name = input.path.file
        if name.hasSuffix(".js") {
            let bytes = try files.contents(of: name, in: "vendor", withSuffix: ".js")
            return .ok(.init(headers: .init(xContentTypeOptions: .nosniff), body: .textJavascript(HTTPBody(bytes))))
        }
        let bytes = try files.contents(of: name, in: "vendor", withSuffix: ".txt")
        return .ok(.init(headers: .init(xContentTypeOptions: .nosniff), body: .plainText(HTTPBody(bytes))))
    }
}
