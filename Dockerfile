# 沪券通 — multi-stage build; the runtime image runs as a non-root user.
# Build: docker build -t hqt .   Run: see deploy/docker-compose.yml

FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY shared/package.json shared/
COPY server/package.json server/
COPY client/package.json client/
RUN npm ci --no-audit --no-fund
COPY tsconfig.base.json tsconfig.json ./
COPY shared shared
COPY server server
COPY client client
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 DATA_DIR=/var/lib/hqt
RUN groupadd --system hqt && useradd --system --gid hqt --home /var/lib/hqt hqt \
 && mkdir -p /var/lib/hqt/files && chown -R hqt:hqt /var/lib/hqt
WORKDIR /app
COPY --from=build --chown=hqt:hqt /app/package.json ./
COPY --from=build --chown=hqt:hqt /app/node_modules node_modules
COPY --from=build --chown=hqt:hqt /app/shared/package.json shared/
COPY --from=build --chown=hqt:hqt /app/shared/dist shared/dist
COPY --from=build --chown=hqt:hqt /app/server/package.json server/
COPY --from=build --chown=hqt:hqt /app/server/dist server/dist
COPY --from=build --chown=hqt:hqt /app/server/migrations server/migrations
COPY --from=build --chown=hqt:hqt /app/client/dist client/dist
USER hqt
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/api/v1/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "server/dist/main.js"]
