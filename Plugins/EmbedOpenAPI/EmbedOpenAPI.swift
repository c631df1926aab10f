import Foundation
import PackagePlugin

/// Compiles docs/openapi.json into the target that uses this plugin (CharnnServer): the tool
/// `OpenAPIEmbed` writes `OpenAPIDocument+Generated.swift`, the document's bytes and the numbers
/// it states, into the plugin's work folder. The build reruns it whenever the document changes.
@main
struct EmbedOpenAPI: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let document = context.package.directoryURL.appending(path: "docs/openapi.json")
        let output = context.pluginWorkDirectoryURL.appending(path: "OpenAPIDocument+Generated.swift")
        return [
            .buildCommand(displayName: "Embedding docs/openapi.json in \(target.name)",
                          executable: try context.tool(named: "OpenAPIEmbed").url,
                          arguments: [document.path, output.path],
                          inputFiles: [document], outputFiles: [output])
        ]
    }
}
