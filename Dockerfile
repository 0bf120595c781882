# syntax=docker/dockerfile:1
# llm-config-service image. Stages:
#   deps       all dependencies (dev included), from the lockfile only, so the layer is
#              cached until package-lock.json changes
#   prod-deps  the same node_modules pruned to production dependencies
#   build      sources + `npm run build` (service, client library, admin console); also the image of compose's one-shot `migrate`
#              service, because `npm run db:migrate` (drizzle-kit) loads drizzle.config.ts,
#              which imports src/config.ts: it needs the source tree, not just dist/
#   runtime    dist/ + drizzle/ + ui/dist + production node_modules, as the unprivileged `node` user
#
# Every stage uses the same pinned major of the current Node.js LTS line (26, LTS since
# October 2026), so the native parts of node_modules (esbuild's platform package) match the
# runtime they run on.
# https://github.com/nodejs/release#release-schedule

FROM node:26-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The workspaces' manifests: npm ci installs them (the console's build tools, the client's links).
COPY clients/typescript/package.json ./clients/typescript/
COPY ui/package.json ./ui/
# npm 11 warns that it did not run esbuild's install script: harmless, esbuild resolves its
# binary through the optional @esbuild/<platform> package instead.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund

FROM deps AS prod-deps
RUN npm prune --omit=dev --no-audit --no-fund

FROM deps AS build
COPY tsconfig.json tsconfig.build.json drizzle.config.ts openapi.json ./
COPY scripts ./scripts
COPY drizzle ./drizzle
COPY src ./src
COPY clients/typescript ./clients/typescript
COPY ui ./ui
# The service, the client library and the admin console (ui/dist, served at /admin).
RUN npm run build

FROM node:26-slim AS runtime
# HOST=0.0.0.0: the service listens on 127.0.0.1 by default, which nothing outside the
# container could reach. DATA_DIR is only used by the embedded database (no DATABASE_URL);
# mount a volume at /app/data to keep it across containers.
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATA_DIR=/app/data
WORKDIR /app
# The application files stay owned by root, so the process cannot rewrite its own code;
# only the data directory is writable by the user it runs as.
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Read at run time: dist/db/migrate.js applies ../../drizzle at start, /readyz compares
# drizzle/meta/_journal.json with what the database has applied.
COPY --from=build /app/drizzle ./drizzle
# The admin console's built files (src/admin-console/built-files.ts finds them beside dist/).
COPY --from=build /app/ui/dist ./ui/dist
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
# Slim images have no curl or wget: ask Node itself (fetch is built in since Node 18).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node directly, not `npm start`: npm would not forward SIGTERM reliably, and the service's
# graceful shutdown (close-with-grace) needs it. `npm start` would also check the build.
CMD ["node", "dist/server.js"]
