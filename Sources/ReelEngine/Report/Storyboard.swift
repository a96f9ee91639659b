import Foundation
import ReelBasics

/// The storyboard after a build: an output like any other, rewritten when anything it shows
/// changed (a brand edit, a rebuilt clip, a file deleted from its folder), left alone otherwise.
public enum Storyboard {
    /// Writes the storyboard of `result` unless the page already shows it.
    /// - Parameter seconds: the build's wall time, shown on the page.
    /// - Returns: the page's path when it was written, `nil` when it was already current.
    public static func afterBuild(_ result: BuildResult, workspace: Workspace, seconds: Double?) async throws -> AbsolutePath? {
        let environment = workspace.environment
        let data = ReportData.make(result, workspace: workspace, now: environment.now(), seconds: seconds)
        let writer = ReportWriter(
            runner: environment.runner, fileSystem: environment.fileSystem,
            stateFile: ReportWriter.stateFile(for: data.directory, in: workspace.store.layout))
        // A build that ran something shows new times and changes: always written.
        if result.count(.built) == 0, !result.lockfileChanged, writer.isCurrent(data) { return nil }
        return try await writer.write(data)
    }
}
