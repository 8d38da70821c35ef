// The public methods of the client returned by OnePasswordConnect() in
// @1password/connect 1.4.2. surface.test.mjs checks the installed package
// against this list; compat/run-js.sh checks the tests called each of them.

/** Every method of the client returned by OnePasswordConnect() in 1.4.2, each exercised by a test file. */
export const CLIENT_METHODS = [
  "listVaults",
  "listVaultsByTitle",
  "getVault",
  "getVaultById",
  "getVaultByTitle",
  "listItems",
  "listItemsByTitle",
  "listItemsByTitleContains",
  "getItem",
  "getItemById",
  "getItemByTitle",
  "getItemOTP",
  "createItem",
  "updateItem",
  "deleteItem",
  "deleteItemById",
  "deleteItemByTitle",
  "listFiles",
  "getFileById",
  "getFileContent",
  "getFileContentStream",
];
