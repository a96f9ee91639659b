import Foundation
import ReelBasics
import ReelTestSupport
import Testing

@Suite struct SpawnProcessRunnerTests {
    let runner = SpawnProcessRunner()

    @Test func capturesOutputAndExitCode() async throws {
        let result = try await runner.run(ProcessSpec("sh", ["-c", "echo out; echo err >&2; exit 3"]))
        #expect(result.exitCode == 3)
        #expect(result.outputText == "out\n")
        #expect(result.errorText == "err\n")
    }

    @Test func largeOutputNeverBlocks() async throws {
        let result = try await runner.run(ProcessSpec("sh", ["-c", "head -c 3000000 /dev/zero"]))
        #expect(result.exitCode == 0 && result.standardOutput.count == 3_000_000)
    }

    @Test func environmentAndWorkingDirectory() async throws {
        try await withTemporaryDirectory { directory in
            let result = try await runner.run(ProcessSpec("sh", ["-c", "pwd; echo $REEL_TEST_VALUE"], environment: ["REEL_TEST_VALUE": "42"], workingDirectory: directory))
            #expect(result.outputText == "\(directory.pathString)\n42\n")
        }
    }

    @Test func childSeesOnlyItsStandardDescriptors() async throws {
        let result = try await runner.run(ProcessSpec("sh", ["-c", "ls /proc/self/fd | wc -l"]))
        // 0, 1, 2 and the descriptor ls uses to read /proc/self/fd.
        #expect(Int(result.outputText.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 99 <= 4)
    }

    @Test func missingExecutableIsAClearError() async throws {
        await #expect(throws: ProcessError.executableNotFound("no-such-tool-reel")) {
            try await runner.run(ProcessSpec("no-such-tool-reel", []))
        }
    }

    @Test func cancellingTerminatesTheChild() async throws {
        try await withTemporaryDirectory { directory in
            let pidFile = directory.appending("pid")
            let task = Task { try await runner.run(ProcessSpec("sh", ["-c", "echo $$ > \(pidFile.pathString); exec sleep 30"])) }
            while !FileManager.default.fileExists(atPath: pidFile.pathString) { try await Task.sleep(for: .milliseconds(20)) }
            try await Task.sleep(for: .milliseconds(50))
            let pid = try #require(Int32(String(contentsOfFile: pidFile.pathString, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            // The child is gone (and reaped), not left sleeping for 30 s.
            #expect(kill(pid, 0) != 0)
        }
    }

    @Test func signalledChildReportsShellStyleStatus() async throws {
        let result = try await runner.run(ProcessSpec("sh", ["-c", "kill -9 $$"]))
        #expect(result.exitCode == 128 + 9)
    }
}
