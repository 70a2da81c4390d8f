import ArgumentParser
import Foundation

/// `ztp-bench run`: every scenario (or those named), each against a fresh server process,
/// each figure the median of `Sizes.runs` samples and set beside a baseline from this run.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the benchmarks and print the table.")

    static var scenarios: [(name: String, run: (BenchContext) async throws -> [Row])] { [
        ("handshake", HandshakeScenario.run),
        ("bulk-up", BulkScenario.upload),
        ("bulk-down", BulkScenario.download),
        ("streams", BulkScenario.streams),
        ("ping", PingScenario.run),
        ("idle", IdleScenario.run),
        ("chat", ChatScenario.run),
        ("chat-flood", ChatFloodScenario.run),
        ("api", APIScenario.run),
        ("fleet", FleetScenario.run),
    ] }

    @Option(name: .customLong("scenario"), help: "Run only this scenario (repeatable): \(RunCommand.scenarios.map(\.name).joined(separator: ", "))")
    var selected: [String] = []

    @Option(help: "Also write the results as JSON to this file")
    var json: String?

    @Flag(help: "Small sizes, for a smoke run (still three samples of everything)")
    var quick = false

    @Option(help: "Directory holding tls_bulk.py (default: ./scripts or above the executable)")
    var scriptsDir: String?

    func validate() throws {
        let known = Set(RunCommand.scenarios.map(\.name))
        for name in selected where !known.contains(name) {
            throw ValidationError("unknown scenario '\(name)'; known: \(RunCommand.scenarios.map(\.name).joined(separator: ", "))")
        }
    }

    func run() async throws {
        Limits.raiseOpenFiles()
        let command = (["ztp-bench"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
        let machine = Machine.current(command: command)
        log("ztp-bench on \(machine.summary)")
        let context = try BenchContext(sizes: quick ? .quick : .full, scriptsDirectory: scriptsDir, report: Report(machine: machine))
        defer { context.cleanUp() }
        if quick { context.note("--quick: sizes scaled down for a smoke run; figures are not comparable with a full run") }
        let chosen = RunCommand.scenarios.filter { selected.isEmpty || selected.contains($0.name) }
        var failed: [String] = []
        let started = now()
        for scenario in chosen {
            log("== \(scenario.name)")
            let begin = now()
            do {
                let rows = try await scenario.run(context)
                context.report.rows += rows
                for row in rows {
                    log("  \(row.name): \(Row.format(row.value)) \(row.unit)"
                          + (row.baselineValue.map { " vs \(row.baseline ?? "") \(Row.format($0))" } ?? "")
                          + (row.ratio.map { " = \(Row.format($0))x" } ?? "")
                          + (row.met.map { $0 ? " (target met)" : " (target MISSED: \(row.target.text))" } ?? ""))
                }
            } catch {
                failed.append(scenario.name)
                context.note("\(scenario.name) failed: \(error)")
            }
            log("  (\(Int(now() - begin)) s)")
        }
        log("")
        log(context.report.table())
        log("total \(Int(now() - started)) s")
        if let json {
            try context.report.json().write(to: URL(fileURLWithPath: json))
            log("wrote \(json)")
        }
        if !failed.isEmpty { throw BenchError("scenarios failed: \(failed.joined(separator: ", "))") }
    }
}
