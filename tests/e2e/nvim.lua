-- Neovim (0.7, Debian's) headless with its built-in LSP client attached to `rolecall lsp`, on
-- the buffer of policies/livestorm.policy: no diagnostics on the shipped policy, an error after
-- an edit (and none after undoing it), and a hover on a role showing its row of the table.
-- Writes "neovim: ok" to $ROLECALL_E2E_OUT and quits 0, or quits 1 with the reason there.
local out = assert(io.open(os.getenv("ROLECALL_E2E_OUT"), "w"))
local function say(line)
  out:write(line .. "\n")
  out:flush()
end
local function check(ok, what)
  if not ok then
    say("neovim: FAILED: " .. what)
    out:close()
    vim.cmd("cquit 1")
  end
end
local WAIT = 30000

local function line_of(needle)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
    local col = line:find(needle, 1, true)
    if col then
      return i - 1, col - 1
    end
  end
  check(false, "no line holds " .. needle)
end

vim.bo.filetype = "rolecall"
local id = vim.lsp.start_client({ name = "rolecall", cmd = { os.getenv("ROLECALL"), "lsp" }, root_dir = vim.fn.getcwd() })
check(id ~= nil, "the client did not start")
check(vim.lsp.buf_attach_client(0, id), "the client did not attach")
check(vim.wait(WAIT, function()
  local client = vim.lsp.get_client_by_id(id)
  return client ~= nil and client.server_capabilities ~= nil and client.server_capabilities.hoverProvider == true
end, 20), "the server did not initialize")

-- The shipped policy is clean: two seconds after opening it, still no diagnostic.
vim.wait(2000, function() return false end, 50)
check(#vim.diagnostic.get(0) == 0, "diagnostics on the shipped policy")

-- A typo: one error, on the typo, with the resolver's code.
local line, col = line_of("allow viewer to ask")
local text = vim.api.nvim_buf_get_lines(0, line, line + 1, false)[1]
vim.api.nvim_buf_set_lines(0, line, line + 1, false, { (text:gsub("allow viewer", "allow viewr", 1)) })
check(vim.wait(WAIT, function() return #vim.diagnostic.get(0) > 0 end, 20), "no diagnostic after the typo")
local found = vim.diagnostic.get(0)
local lsp = found[1].user_data and found[1].user_data.lsp or {}
check(#found == 1, #found .. " diagnostics after the typo")
check(found[1].lnum == line and found[1].col == col + 6, "the diagnostic is not on the typo")
check(found[1].severity == vim.diagnostic.severity.ERROR, "the diagnostic is not an error")
check((found[1].code or lsp.code) == "rolecall::resolve::unknown_role", "code " .. tostring(found[1].code or lsp.code))
say("neovim: diagnostic " .. (found[1].code or lsp.code) .. " at " .. (line + 1) .. ":" .. (col + 7))
vim.api.nvim_buf_set_lines(0, line, line + 1, false, { text })
check(vim.wait(WAIT, function() return #vim.diagnostic.get(0) == 0 end, 20), "the diagnostic stayed after the fix")

-- A hover on a role: its row of the compiled table.
local rline, rcol = line_of("role moderator")
local params = { textDocument = vim.lsp.util.make_text_document_params(), position = { line = rline, character = rcol + 6 } }
local answers = vim.lsp.buf_request_sync(0, "textDocument/hover", params, WAIT)
check(answers ~= nil and answers[id] ~= nil and answers[id].result ~= nil, "no hover")
local value = answers[id].result.contents.value
check(value:find("**role `session.moderator`**", 1, true) == 1, "hover: " .. value)
check(value:find("| `send_chat_messages` | ✅ allow", 1, true) ~= nil, "hover without the row: " .. value)
say("neovim: hover " .. value:match("^[^\n]*"))
say("neovim: ok")
out:close()
vim.lsp.stop_client(id)
vim.cmd("qa!")
