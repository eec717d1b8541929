// Runs drizzle-orm's own migrator (node-postgres) on a folder: `node drizzle-migrate.cjs
// <postgres url> <migrations folder>`. Used by tests/adopt_drizzle.rs to check that
// drizzle agrees with what cutover applied and recorded.
const { Client } = require("pg");
const { drizzle } = require("drizzle-orm/node-postgres");
const { migrate } = require("drizzle-orm/node-postgres/migrator");

async function main() {
  const [url, folder] = process.argv.slice(2);
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    await migrate(drizzle(client), { migrationsFolder: folder });
  } finally {
    await client.end();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
