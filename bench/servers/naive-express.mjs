// The naive peer on the other common stack: Express + pg, one SELECT per GET (PostgreSQL only).
import express from 'express'
import pg from 'pg'
import { PUBLIC_COLUMNS } from '../lib/sql.mjs'

const pool = new pg.Pool({ connectionString: process.env.BENCH_DATABASE_URL, max: 10 })
const { rows: [{ id }] } = await pool.query('SELECT min(id) AS id FROM llm_config')
const select = { name: 'read-config', text: `SELECT ${PUBLIC_COLUMNS} FROM llm_config WHERE id = $1`, values: [id] }

const app = express()
app.get('/llm-config', async (_request, response) => {
  const { rows } = await pool.query(select)
  response.json(rows[0])
})
app.listen(Number(process.env.PORT), process.env.HOST)
