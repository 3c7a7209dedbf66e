// The whole client: start `rolecall lsp` for .policy files.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("rolecall").get("path") || "rolecall";
  client = new LanguageClient(
    "rolecall",
    "rolecall",
    { command, args: ["lsp"] },
    { documentSelector: [{ language: "rolecall" }] }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
