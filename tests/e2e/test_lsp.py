"""`rolecall lsp` driven by pytest-lsp, a real LSP client library, with the capabilities VS Code
1.65 announces: the reference policies opened, edited, and every feature asked for."""

import os
import pathlib
import re

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLECALL = os.environ.get("ROLECALL", str(ROOT / "target" / "debug" / "rolecall"))
LIVESTORM = ROOT / "policies" / "livestorm.policy"
GOTO = ROOT / "policies" / "goto_webinar.policy"


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[ROLECALL, "lsp"]))
async def client(lsp_client: LanguageClient):
    params = types.InitializeParams(capabilities=client_capabilities("visual-studio-code"))
    result = await lsp_client.initialize_session(params)
    assert result.server_info.name == "rolecall"
    yield
    await lsp_client.shutdown_session()


def find(text: str, needle: str, shift: int = 0) -> types.Position:
    """The position of the first `needle` in `text`, `shift` characters on (ASCII lines)."""
    at = text.index(needle)
    line = text.count("\n", 0, at)
    column = at - (text.rfind("\n", 0, at) + 1)
    return types.Position(line=line, character=column + shift)


def doc(uri: str) -> types.TextDocumentIdentifier:
    return types.TextDocumentIdentifier(uri=uri)


async def open_policy(client: LanguageClient, path: pathlib.Path, text: str | None = None):
    text = path.read_text() if text is None else text
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="rolecall", version=1, text=text)
        )
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return uri, text


async def edit(client: LanguageClient, uri: str, version: int, text: str):
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri])


async def test_diagnostics_follow_edits_of_both_reference_policies(client: LanguageClient):
    for path, role in ((LIVESTORM, "viewer"), (GOTO, "attendee")):
        uri, text = await open_policy(client, path)
        assert list(client.diagnostics[uri]) == [], path
        broken = await edit(client, uri, 2, text.replace(f"allow {role}", f"allow {role}x", 1))
        assert [d.code for d in broken] == ["rolecall::resolve::unknown_role"], path
        assert broken[0].severity == types.DiagnosticSeverity.Error
        assert broken[0].range.start == find(text, f"allow {role}", 6)
        # The quick fix is the resolver's suggestion.
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=doc(uri),
                range=broken[0].range,
                context=types.CodeActionContext(diagnostics=broken),
            )
        )
        assert actions and actions[0].title == f"Change to `{role}`"
        assert await edit(client, uri, 3, text) == []
        lint = await edit(client, uri, 4, "fact never_read\n" + text)
        finding = next(d for d in lint if d.code == "rolecall::lint::unused-fact")
        assert finding.severity == types.DiagnosticSeverity.Warning
        assert finding.code_description.href.endswith("lint.md#unused-fact")
        # One document open at a time, so each publication is of the document edited.
        client.text_document_did_close(types.DidCloseTextDocumentParams(text_document=doc(uri)))
        await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        assert list(client.diagnostics[uri]) == []


async def test_hover_shows_the_row_the_column_and_the_cells(client: LanguageClient):
    uri, text = await open_policy(client, LIVESTORM)

    async def hover(needle: str, shift: int) -> str:
        answer = await client.text_document_hover_async(
            types.HoverParams(text_document=doc(uri), position=find(text, needle, shift))
        )
        assert answer is not None, needle
        return answer.contents.value

    row = await hover("role moderator", 6)
    assert row.startswith("**role `session.moderator`**")
    assert "| `send_chat_messages` | ✅ allow" in row
    assert "inherited from `viewer`" in row
    column = await hover("to ask_questions", 4)
    assert column.startswith("**action `session.ask_questions`**")
    assert "| `viewer` | ✅ allow" in column
    assert "decides" in await hover("allow viewer to ask_questions", 2)
    assert (await hover("fact event_owner", 6)).startswith("**fact `event_owner`**")


async def test_definition_references_and_rename(client: LanguageClient):
    uri, text = await open_policy(client, LIVESTORM)
    use = find(text, "allow viewer to ask", 6)
    definition = await client.text_document_definition_async(
        types.DefinitionParams(text_document=doc(uri), position=use)
    )
    assert definition.range.start == find(text, "role viewer", 5)
    refs = await client.text_document_references_async(
        types.ReferenceParams(
            text_document=doc(uri), position=use, context=types.ReferenceContext(include_declaration=True)
        )
    )
    assert len(refs) >= 3 and all(r.uri == uri for r in refs)
    prepared = await client.text_document_prepare_rename_async(
        types.PrepareRenameParams(text_document=doc(uri), position=use)
    )
    assert prepared.start == use
    workspace_edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc(uri), position=use, new_name="audience")
    )
    edits = workspace_edit.document_changes[0].edits
    assert len(edits) == len(refs)
    lines = text.split("\n")
    for e in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        line = lines[e.range.start.line]
        assert line[e.range.start.character : e.range.end.character] == "viewer"
        lines[e.range.start.line] = line[: e.range.start.character] + e.new_text + line[e.range.end.character :]
    # The renamed policy is clean: every use was renamed.
    renamed = "\n".join(lines)
    assert await edit(client, uri, 2, renamed) == []
    try:
        await client.text_document_rename_async(
            types.RenameParams(text_document=doc(uri), position=find(renamed, "allow audience", 6), new_name="speaker")
        )
        raise AssertionError("a rename onto a declared role was accepted")
    except Exception as e:  # the server's error, as pygls raises it
        assert "already declared" in str(e)


async def test_completion_formatting_outline_folding(client: LanguageClient):
    uri, text = await open_policy(client, LIVESTORM)

    async def labels(position: types.Position) -> set[str]:
        items = await client.text_document_completion_async(
            types.CompletionParams(text_document=doc(uri), position=position)
        )
        items = items.items if isinstance(items, types.CompletionList) else items
        return {i.label for i in items}

    roles = await labels(find(text, "allow viewer to ask", 6))
    assert {"moderator", "everyone"} <= roles and "owner" not in roles
    assert "send_emojis" in await labels(find(text, "allow viewer to ask", 16))

    messy = text.replace("    role viewer", "role     viewer", 1)
    await edit(client, uri, 2, messy)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(
            text_document=doc(uri), options=types.FormattingOptions(tab_size=4, insert_spaces=True)
        )
    )
    assert len(edits) == 1 and edits[0].new_text == text

    symbols = await client.text_document_document_symbol_async(types.DocumentSymbolParams(text_document=doc(uri)))
    names = {s.name for s in symbols}
    assert {"session", "workspace", "event_owner"} <= names
    folds = await client.text_document_folding_range_async(types.FoldingRangeParams(text_document=doc(uri)))
    assert find(messy, "scope session").line in {f.start_line for f in folds}


async def test_code_lens_inlay_hints_and_semantic_tokens(client: LanguageClient):
    uri, text = await open_policy(client, GOTO)
    rules = [i for i, line in enumerate(text.split("\n")) if re.match(r"\s*(allow|deny|forbid) ", line)]
    lenses = await client.text_document_code_lens_async(types.CodeLensParams(text_document=doc(uri)))
    assert [l.range.start.line for l in lenses] == rules
    assert all(re.fullmatch(r"decides (no cell|1 cell|\d+ cells)", l.command.title) for l in lenses)
    everything = types.Range(start=types.Position(line=0, character=0), end=types.Position(line=len(rules) + 10_000, character=0))
    hints = await client.text_document_inlay_hint_async(types.InlayHintParams(text_document=doc(uri), range=everything))
    # The same counts, at the end of each rule (one line each in this policy).
    assert [h.label for h in hints] == [l.command.title for l in lenses]
    lines = text.split("\n")
    for h in hints:
        assert h.position.character == len(lines[h.position.line].split("#")[0].rstrip())

    tokens = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(text_document=doc(uri))
    )
    assert tokens.data and len(tokens.data) % 5 == 0
    # Decoded, each token is a whole word of the text.
    line = column = 0
    for i in range(0, len(tokens.data), 5):
        dl, dc, length = tokens.data[i : i + 3]
        column = column + dc if dl == 0 else dc
        line += dl
        word = lines[line][column : column + length]
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", word), (line, column, word)


async def test_a_malformed_request_and_an_unknown_method_are_answered(client: LanguageClient):
    try:
        await client.protocol.send_request_async("rolecall/noSuchMethod", {})
        raise AssertionError("an unknown method was answered with a result")
    except Exception as e:
        assert "noSuchMethod" in str(e) or "-32601" in str(e)
    # The server goes on.
    uri, _ = await open_policy(client, LIVESTORM)
    assert list(client.diagnostics[uri]) == []


async def test_hover_on_settings_kinds_and_overrides_and_completion_in_conditions(client: LanguageClient):
    uri, text = await open_policy(client, GOTO)

    async def hover(needle: str, shift: int) -> str:
        answer = await client.text_document_hover_async(
            types.HoverParams(text_document=doc(uri), position=find(text, needle, shift))
        )
        assert answer is not None, needle
        return answer.contents.value

    override = "everyone joins account as billing_contact when account_type is single_user"
    assert override in text
    # The override: whom it changes and what they act as.
    changes = await hover(override, 9)
    assert changes.startswith(f"**override** `{override}`"), changes
    assert "every principal; they act only as `account.billing_contact`" in changes
    # A setting and a kind: the conditional cells and the declarations that read them.
    setting = await hover("setting account_type", 9)
    assert setting.startswith("**setting `account_type`**"), setting
    assert f"- `{override}` (" in setting, setting
    assert (await hover("kind participant", 6)).startswith("**kind `participant`**")

    async def labels(position: types.Position) -> set[str]:
        items = await client.text_document_completion_async(
            types.CompletionParams(text_document=doc(uri), position=position)
        )
        items = items.items if isinstance(items, types.CompletionList) else items
        return {i.label for i in items}

    block = text[text.index("setting account_type") :]
    values = re.findall(r"^\s*value (\w+)", block[: block.index("}")], re.M)
    assert values and set(values) <= await labels(find(text, "account_type is single_user", 16))
    assert "account_type" in await labels(find(text, "when account_type", 5))
    kinds = set(re.findall(r"^kind (\w+)", text, re.M))
    broken = text.replace(override, override.replace("when account_type is single_user", "when kind is "), 1)
    await edit(client, uri, 2, broken)
    assert kinds and kinds <= await labels(find(broken, "when kind is ", 13))


async def test_rename_in_an_included_file_edits_the_file_that_includes_it(client: LanguageClient, tmp_path):
    facts = tmp_path / "facts.policy"
    main = tmp_path / "main.policy"
    facts.write_text('fact live "Live"\n')
    main_text = 'include "facts.policy"\nfact paused\nscope s {\n    role viewer\n    action chat\n    allow viewer to chat when live and not paused\n}\n'
    main.write_text(main_text)
    # The including file is not open: the server finds it next to the included one.
    uri, text = await open_policy(client, facts)
    workspace_edit = await client.text_document_rename_async(
        types.RenameParams(text_document=doc(uri), position=find(text, "live"), new_name="on_air")
    )
    by_uri = {c.text_document.uri: c.edits for c in workspace_edit.document_changes}
    assert sorted(by_uri) == sorted([uri, main.as_uri()]), by_uri
    assert [e.range.start for e in by_uri[uri]] == [find(text, "live")]
    assert [e.range.start for e in by_uri[main.as_uri()]] == [find(main_text, "live and")]
    try:
        await client.text_document_rename_async(
            types.RenameParams(text_document=doc(uri), position=find(text, "live"), new_name="paused")
        )
        raise AssertionError("a rename onto a name the including file declares was accepted")
    except Exception as e:  # the server's error, as pygls raises it
        assert "already declared at" in str(e) and "main.policy" in str(e), e
