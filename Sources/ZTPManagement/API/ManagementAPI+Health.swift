import Foundation
import OpenAPIMicroHTTPD
import OpenAPIRuntime

/// Liveness, readiness, metrics and the spec itself; no authentication.
extension ManagementAPI {
    func getHealth(_ input: Operations.GetHealth.Input) async throws -> Operations.GetHealth.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        guard listener.isAccepting else {
            throw HTTPError(status: 503, detail: "the ZTP listener is not accepting connections")
        }
        let revocations = services.revocations
        if revocations.isStale, let limit = revocations.maxStaleness {
            throw HTTPError(status: 503, detail: "the revocation list has not caught up with the database for "
                + "\(Int(revocations.age)) s (limit \(Int(limit)) s): new ZTP connections are refused until it can")
        }
        // A constant-cost probe: this route needs no key, so it must not cost more as the store grows.
        guard (try? store.checkReadable()) != nil else {
            throw HTTPError(status: 503, detail: "the store is not available")
        }
        return .ok(.init(body: .json(.init(status: .ready))))
    }

    func getMetrics(_ input: Operations.GetMetrics.Input) async throws -> Operations.GetMetrics.Output {
        var buffer: [UInt8] = []
        prometheus.emit(into: &buffer)
        buffer += Array(ProcessMetrics.text().utf8)
        return .ok(.init(body: .textPlainVersion_0_0_4(HTTPBody(buffer))))
    }

    func getOpenAPI(_ input: Operations.GetOpenAPI.Input) async throws -> Operations.GetOpenAPI.Output {
        guard let openAPIPath, let contents = FileManager.default.contents(atPath: openAPIPath) else {
            throw HTTPError.notFound("openapi.yaml is not installed next to this server")
        }
        return .ok(.init(body: .yaml(HTTPBody(Array(contents)))))
    }
}
