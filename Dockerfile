# errorscope: one image for every command (migrate, ingest, serve, classify ...).
# Build stage: install with the lockfile, compile TypeScript, drop dev dependencies.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the "prepare" script compiles, and the sources are not copied yet.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY services ./services
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
COPY migrations ./migrations
COPY ui ./ui
# The embedded engine (CHDB_PATH) writes here when no CLICKHOUSE_URL is given.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 8080 9464
CMD ["node", "bin/errorscope.js", "serve"]
