FROM node:20-bookworm-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
# Dependencies first, so a change to the sources reuses this layer (install scripts run once the
# kafkajs patch is in place).
COPY package.json package-lock.json ./
COPY patches ./patches
RUN npm ci --ignore-scripts && npx patch-package && npm rebuild
COPY . .
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
COPY --from=build /app /app
# Local state (checkpoints of the tasks' stores, the embedded log) outside the read-only app
# directory, writable by the user the process runs as; mount a volume there to keep it.
RUN mkdir -p /var/lib/leadflow && chown node:node /var/lib/leadflow
ENV NODE_ENV=production LEADFLOW_DATA_DIR=/var/lib/leadflow
EXPOSE 8080
USER node
CMD ["node", "dist/cli/main.js", "start"]
