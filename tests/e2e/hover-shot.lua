-- For tests/e2e/screenshot.sh: Neovim's built-in client on a policy, the cursor on a role, and
-- the hover open (its row of the compiled table).
vim.bo.filetype = "rolecall"
vim.o.termguicolors = true
vim.o.number = true
-- Neovim 0.7's default float is magenta on magenta: a dark one, as most themes have.
vim.cmd("highlight NormalFloat guibg=#2b3440 guifg=#e6e6e6")
vim.cmd("highlight LineNr guifg=#7f8c8d")
local id = vim.lsp.start_client({ name = "rolecall", cmd = { os.getenv("ROLECALL"), "lsp" }, root_dir = vim.fn.getcwd() })
vim.lsp.buf_attach_client(0, id)
vim.wait(10000, function()
  local c = vim.lsp.get_client_by_id(id)
  return c ~= nil and c.server_capabilities ~= nil and c.server_capabilities.hoverProvider == true
end, 20)
for i, line in ipairs(vim.api.nvim_buf_get_lines(0, 0, -1, false)) do
  local col = line:find("role panelist", 1, true)
  if col then
    vim.api.nvim_win_set_cursor(0, { i, col + 5 })
    vim.cmd("normal! zt")
    vim.cmd("normal! 3\25")
    break
  end
end
vim.defer_fn(function() vim.lsp.buf.hover() end, 500)
